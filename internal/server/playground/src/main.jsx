// Shipwatch's playground: GraphiQL on /graphql, with queries and mutations
// over HTTP and subscriptions over the same endpoint's websocket
// (graphql-transport-ws), both authenticated by the headers pane. Bundled
// by esbuild into dist/ (make playground); nothing is fetched from
// elsewhere at run time.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import 'graphiql/graphiql.css';

const config = JSON.parse(document.getElementById('playground-config').textContent);
const endpoint = new URL(config.endpoint, window.location.href);
const wsEndpoint = new URL(endpoint.href);
wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

// isSubscription says whether the operation GraphiQL runs is a
// subscription, which goes over the websocket.
function isSubscription(query, operationName) {
  try {
    const ops = parse(query).definitions.filter((d) => d.kind === 'OperationDefinition');
    const op = operationName ? ops.find((d) => d.name && d.name.value === operationName) : ops[0];
    return !!op && op.operation === 'subscription';
  } catch {
    return false; // the server answers the syntax error
  }
}

// subscribe runs one subscription on its own websocket, authenticated by
// the headers pane's values in the connection_init payload, as an async
// iterator GraphiQL reads result by result.
async function* subscribe(params, headers) {
  const client = createClient({ url: wsEndpoint.href, connectionParams: headers, lazy: true, retryAttempts: 0 });
  try {
    for await (const result of client.iterate(params)) {
      yield result;
    }
  } catch (err) {
    yield { errors: [{ message: err instanceof Error ? err.message : closeReason(err) }] };
  } finally {
    client.dispose();
  }
}

function closeReason(ev) {
  if (ev && typeof ev.code === 'number') {
    return 'websocket closed (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + ')';
  }
  return String(ev);
}

// withoutPlaceholder drops the prefilled Authorization header until a key
// replaces its placeholder: the schema's introspection (the Docs pane)
// needs no key, and a placeholder key would be refused.
function withoutPlaceholder(headers) {
  const out = { ...headers };
  for (const name of Object.keys(out)) {
    if (name.toLowerCase() === 'authorization' && String(out[name]).includes('<api_key>')) {
      delete out[name];
    }
  }
  return out;
}

function fetcher(params, opts) {
  const headers = withoutPlaceholder((opts && opts.headers) || {});
  if (isSubscription(params.query, params.operationName)) {
    return subscribe(params, headers);
  }
  return fetch(endpoint.href, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    body: JSON.stringify(params),
  }).then((r) => r.json());
}

// The fetcher GraphiQL uses, for the browser tests to run a query and a
// subscription exactly as the editor would.
window.shipwatchFetcher = fetcher;

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL
    fetcher={fetcher}
    defaultHeaders={config.headers}
    defaultQuery={config.query}
    defaultEditorToolsVisibility="headers"
    shouldPersistHeaders={true}
  />,
);

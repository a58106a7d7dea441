package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/store"
)

// KeyWatcher tells a websocket connection when its API key is revoked on
// any replica (pubsub.Hub).
type KeyWatcher interface {
	WatchKey(ctx context.Context, sellerID, prefix string) <-chan pubsub.KeyEvent
}

// closeForbidden is graphql-transport-ws's close code for a refused
// connection_init: clients give up instead of reconnecting, as they do
// after 1000.
const closeForbidden = 4403

// keyRecheck is how often an open websocket checks its key even when no
// revocation was announced: a backstop for announcements lost in ways the
// listener cannot notice.
const keyRecheck = time.Minute

func websocketTransport(st *store.Store, keys KeyWatcher, log *slog.Logger) transport.Websocket {
	return transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			return websocketSeller(ctx, st, keys, log, p)
		},
	}
}

// websocketSeller authenticates a websocket connection from its init
// payload ({"Authorization": "Bearer <key>"}), where browsers put what
// they cannot send as a header, unless the upgrade request carried the
// key. A wrong or revoked key closes the socket with 4403. The
// connection_ack carries no payload: the init payload holds the key, and
// nothing secret is echoed. The connection is closed when its key is
// revoked on any replica.
func websocketSeller(ctx context.Context, st *store.Store, keys KeyWatcher, log *slog.Logger, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	seller, ok := auth.SellerFrom(ctx)
	if !ok {
		header := p.Authorization()
		if header == "" {
			return ctx, nil, nil // unauthenticated: only introspection will answer
		}
		key := auth.BearerToken(header)
		var err error
		if seller, err = st.Authenticate(ctx, key); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				log.ErrorContext(ctx, "websocket authenticate", "err", err)
			}
			ctx = transport.WithWebsocketCloseCode(ctx, closeForbidden)
			ctx = transport.AppendCloseReason(ctx, "Forbidden")
			return ctx, nil, errors.New("the API key is not valid or was revoked")
		}
		ctx = auth.WithKeyPrefix(auth.WithSeller(ctx, seller), store.KeyPrefix(key))
	}
	prefix, _ := auth.KeyPrefixFrom(ctx)
	ctx, cancel := context.WithCancel(ctx)
	go closeWhenRevoked(ctx, cancel, st, keys, log, seller.ID, prefix)
	// Read by gqlgen only once the connection ends: a revoked key is told why.
	ctx = transport.AppendCloseReason(ctx, "the API key was revoked")
	return ctx, nil, nil
}

// closeWhenRevoked cancels the connection's context, which closes the
// socket and its subscriptions, when the key's revocation is announced or
// a re-check finds it revoked.
func closeWhenRevoked(ctx context.Context, cancel context.CancelFunc, st *store.Store, keys KeyWatcher, log *slog.Logger, sellerID, prefix string) {
	defer cancel()
	var events <-chan pubsub.KeyEvent // nil (never ready) without a watcher: re-checks only
	if keys != nil {
		events = keys.WatchKey(ctx, sellerID, prefix)
	}
	tick := time.NewTicker(keyRecheck)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return // the connection ended (or the hub closed)
			}
			if ev.Revoked {
				return
			}
		case <-tick.C:
		}
		active, err := st.APIKeyActive(ctx, sellerID, prefix)
		if err != nil {
			if ctx.Err() == nil {
				log.WarnContext(ctx, "websocket key re-check", "seller_id", sellerID, "err", err)
			}
			continue
		}
		if !active {
			return
		}
	}
}

'use strict';
// Runs ts-tracking-number, the most used JavaScript library for telling
// carriers from tracking numbers, over a file of numbers (one per line) and
// prints one JSON object: the rate it checks them at and its verdict on each.
// Shipwatch's trackbench tool (go run ./internal/tracking/cmd/trackbench)
// runs it over the same numbers as the Go benchmark and compares.
//
// Usage: node bench.js NUMBERS_FILE [--seconds S]
// With --seconds 0 it only gives the verdicts.

const fs = require('fs');
const { getTracking } = require('ts-tracking-number');
const { version } = require('ts-tracking-number/package.json');

function parseArgs(argv) {
  const args = { file: '', seconds: 2 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') {
      args.seconds = Number(argv[++i]);
    } else if (!args.file) {
      args.file = argv[i];
    } else {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
  }
  if (!args.file || !Number.isFinite(args.seconds) || args.seconds < 0) {
    throw new Error('usage: node bench.js NUMBERS_FILE [--seconds S]');
  }
  return args;
}

function readNumbers(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

// time checks every number, over and over, for the given seconds of wall
// time after a warm-up, and returns the count and the wall and CPU seconds.
function time(numbers, seconds) {
  let found = 0;
  for (let i = 0; i < 3; i++) {
    for (const n of numbers) {
      if (getTracking(n)) found++;
    }
  }
  const limit = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let checks = 0;
  let elapsed = 0n;
  while (elapsed < limit) {
    for (const n of numbers) {
      if (getTracking(n)) found++;
    }
    checks += numbers.length;
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { checks, wall: Number(elapsed) / 1e9, cpu: (cpu.user + cpu.system) / 1e6, found };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const numbers = readNumbers(args.file);
  const results = numbers.map((number) => {
    const t = getTracking(number);
    return { number, valid: t !== undefined, courier: t ? t.courier.code : null };
  });
  const out = { library: 'ts-tracking-number', version, numbers: numbers.length, results };
  if (args.seconds > 0 && numbers.length > 0) {
    const t = time(numbers, args.seconds);
    Object.assign(out, {
      checks: t.checks,
      seconds: t.wall,
      cpu_seconds: t.cpu,
      rate_per_sec: t.checks / t.wall,
      cpu_rate_per_sec: t.checks / t.cpu,
    });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench.js: ${err.message}\n`);
  process.exit(2);
}

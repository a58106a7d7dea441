// Package config turns flags and environment variables into a validated
// Config. Defaults work on a developer's machine; anything invalid is one
// clear error naming the setting.
package config

import (
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// Config is everything `shipwatch serve` needs to know.
type Config struct {
	// DatabaseURL is what the server serves through: a role that may not
	// change evidence, or a superuser from which the server sets up such
	// roles itself (README: Database roles).
	DatabaseURL string
	// MigrateDatabaseURL, when set, connects as the schema's owner:
	// migrations and grants run through it, never requests.
	MigrateDatabaseURL string
	Addr               string
	// PublicURL is how the outside world reaches this server; webhook URLs
	// handed to sellers start with it. Empty: URLs are paths.
	PublicURL string
	LogFormat string // "text", "json" or "" (text on a terminal, JSON otherwise)
	LogLevel  slog.Level
	// MaxBodyBytes bounds a GraphQL request body (not an upload).
	MaxBodyBytes int64
	// MaxUploadBytes bounds a multipart upload (a CSV file).
	MaxUploadBytes int64
	// MaxRowBytes is the longest row an uploaded file may have.
	MaxRowBytes int
	// JobPollInterval is how often River looks for new jobs: its
	// database/sql driver cannot LISTEN, so it polls.
	JobPollInterval time.Duration
	// JobWorkers is how many jobs this process works at once.
	JobWorkers      int
	ShutdownTimeout time.Duration
	// MaxImageBytes bounds one proof-of-delivery photo or signature.
	MaxImageBytes int64
	// EvidenceRetention is how long delivery evidence is kept after the
	// last activity on its shipments (never while a dispute is open).
	EvidenceRetention time.Duration
	// Monitoring (docs/monitoring.md): how often the sweep runs and the
	// waits between notification attempts.
	SweepInterval time.Duration
	// CarrierPollInterval is how often carrier accounts' due shipments are
	// polled (docs/carriers.md); which shipment is due is the schedule's.
	CarrierPollInterval time.Duration
	// CarrierBudgets are the operator's default request budgets per
	// carrier (UPS, FEDEX, USPS) for accounts whose seller set none.
	CarrierBudgets      map[string]Budget
	NotifyRetrySchedule []time.Duration
	// HealthCompactInterval is how often the account-health rollup's
	// deltas are folded (reads stay fast; counts are exact either way).
	HealthCompactInterval time.Duration
	// OutlookInterval is how often the outlook job projects every seller's
	// standards and flags those projected to miss (docs/forecast.md).
	OutlookInterval time.Duration
	// SecretKey (base64 of 32 bytes) encrypts webhook and notification
	// signing secrets at rest.
	// When empty, the key is read from SecretKeyFile, which is created on
	// first start; when both are empty (tests), a key lives in memory only.
	SecretKey     string
	SecretKeyFile string
	// CheckpointKeyFile holds the Ed25519 key evidence checkpoints are
	// signed with, outside the database; created on first start. When
	// empty (tests), a key lives in memory only.
	CheckpointKeyFile string
	// CheckpointInterval is how often a seller's evidence chains, when
	// they moved, get a new signed checkpoint.
	CheckpointInterval time.Duration
	// MaxWebhookBytes bounds a tracking-provider webhook body.
	MaxWebhookBytes int64
	// SeventeenTrackURL is the base URL of 17TRACK's API, where numbers
	// are registered; tests and sandboxes point it elsewhere.
	SeventeenTrackURL string
	// Network guard: see netguard.go in this package.
	NetGuard
	// Abuse limits: see limits.go in this package.
	Limits
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DatabaseURL:           "postgres://postgres@127.0.0.1:5432/shipwatch?sslmode=disable",
		Addr:                  ":8080",
		LogLevel:              slog.LevelInfo,
		MaxBodyBytes:          4 << 20,
		MaxUploadBytes:        1 << 30,
		JobPollInterval:       250 * time.Millisecond,
		JobWorkers:            20,
		ShutdownTimeout:       30 * time.Second,
		MaxImageBytes:         5 << 20,
		EvidenceRetention:     2 * 8760 * time.Hour,
		SweepInterval:         time.Minute,
		CarrierPollInterval:   time.Minute,
		HealthCompactInterval: time.Minute,
		OutlookInterval:       time.Hour,
		CheckpointInterval:    time.Minute,
		MaxWebhookBytes:       1 << 20,
		SeventeenTrackURL:     "https://api.17track.net",
		MaxRowBytes:           64 << 10,
		NetGuard:              defaultNetGuard(),
		Limits:                defaultLimits(),
	}
}

// Env is how the configuration reads the environment (os.Getenv in main).
type Env func(string) string

// DatabaseURL reads only the database setting, for subcommands that need
// nothing else.
func DatabaseURL(getenv Env) (string, error) {
	dsn := Default().DatabaseURL
	if v := getenv("DATABASE_URL"); v != "" {
		dsn = v
	}
	if u, err := url.Parse(dsn); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// Never the value: a URL carries the database password.
		return "", fmt.Errorf("DATABASE_URL is not a postgres:// URL (its value is not shown: it may hold a password)")
	}
	return dsn, nil
}

// RegisterServe adds the serve flags to fs; Load reads them back.
func RegisterServe(fs *flag.FlagSet) *string {
	return fs.String("addr", "", "listen address (env SHIPWATCH_ADDR, default :8080)")
}

// Load builds the serve configuration from the environment and the --addr
// flag value (empty when not given).
func Load(getenv Env, addrFlag string) (Config, error) {
	c := Default()
	var err error
	if c.DatabaseURL, err = DatabaseURL(getenv); err != nil {
		return Config{}, err
	}
	r := reader{getenv: getenv}
	c.MigrateDatabaseURL = r.str("SHIPWATCH_MIGRATE_DATABASE_URL", "")
	if u, err := url.Parse(c.MigrateDatabaseURL); c.MigrateDatabaseURL != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
		r.fail("SHIPWATCH_MIGRATE_DATABASE_URL", "(hidden)", "a postgres:// URL")
	}
	c.Addr = r.str("SHIPWATCH_ADDR", c.Addr)
	if addrFlag != "" {
		c.Addr = addrFlag
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return Config{}, fmt.Errorf("listen address %q must be host:port or :port", c.Addr)
	}
	c.PublicURL = strings.TrimRight(r.str("SHIPWATCH_PUBLIC_URL", ""), "/")
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("SHIPWATCH_PUBLIC_URL %q is not an http(s) URL", c.PublicURL)
		}
	}
	c.LogFormat = r.oneOf("LOG_FORMAT", "", "text", "json")
	switch strings.ToLower(r.str("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		r.fail("LOG_LEVEL", getenv("LOG_LEVEL"), "debug, info, warn or error")
	}
	c.MaxBodyBytes = r.bytes("SHIPWATCH_MAX_BODY_BYTES", c.MaxBodyBytes)
	c.MaxUploadBytes = r.bytes("SHIPWATCH_MAX_UPLOAD_BYTES", c.MaxUploadBytes)
	if c.MaxRowBytes = int(r.bytes("SHIPWATCH_MAX_ROW_BYTES", int64(c.MaxRowBytes))); c.MaxRowBytes > 16<<20 {
		r.fail("SHIPWATCH_MAX_ROW_BYTES", getenv("SHIPWATCH_MAX_ROW_BYTES"), "a size of at most 16MiB")
	}
	c.JobPollInterval = r.duration("SHIPWATCH_JOB_POLL_INTERVAL", c.JobPollInterval, 50*time.Millisecond)
	c.JobWorkers = r.positive("SHIPWATCH_JOB_WORKERS", c.JobWorkers, 10000)
	c.ShutdownTimeout = r.duration("SHIPWATCH_SHUTDOWN_TIMEOUT", c.ShutdownTimeout, time.Second)
	c.MaxImageBytes = r.bytes("SHIPWATCH_MAX_IMAGE_BYTES", c.MaxImageBytes)
	c.EvidenceRetention = r.duration("SHIPWATCH_EVIDENCE_RETENTION", c.EvidenceRetention, 24*time.Hour)
	c.SweepInterval = r.duration("SHIPWATCH_SWEEP_INTERVAL", c.SweepInterval, time.Second)
	c.CarrierPollInterval = r.duration("SHIPWATCH_CARRIER_POLL_INTERVAL", c.CarrierPollInterval, time.Second)
	if b := r.carrierBudgets("SHIPWATCH_CARRIER_BUDGETS"); b != nil {
		c.CarrierBudgets = b
	}
	c.NotifyRetrySchedule = r.durations("SHIPWATCH_NOTIFY_RETRY_SCHEDULE")
	c.HealthCompactInterval = r.duration("SHIPWATCH_HEALTH_COMPACT_INTERVAL", c.HealthCompactInterval, time.Second)
	c.OutlookInterval = r.duration("SHIPWATCH_OUTLOOK_INTERVAL", c.OutlookInterval, time.Second)
	c.MaxWebhookBytes = r.bytes("SHIPWATCH_MAX_WEBHOOK_BYTES", c.MaxWebhookBytes)
	c.SeventeenTrackURL = strings.TrimRight(r.str("SHIPWATCH_17TRACK_URL", c.SeventeenTrackURL), "/")
	if u, err := url.Parse(c.SeventeenTrackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, fmt.Errorf("SHIPWATCH_17TRACK_URL %q is not an http(s) URL", c.SeventeenTrackURL)
	}
	c.SecretKey, c.SecretKeyFile = r.secretKey(c.SecretKeyFile)
	c.CheckpointKeyFile = CheckpointKeyFile(getenv)
	c.CheckpointInterval = r.duration("SHIPWATCH_CHECKPOINT_INTERVAL", c.CheckpointInterval, time.Second)
	c.NetGuard = r.netGuard(c.NetGuard)
	c.Limits = r.limits(c.Limits)
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// secretKey reads SHIPWATCH_SECRET_KEY, which must be base64 of 32 bytes,
// and SHIPWATCH_SECRET_KEY_FILE, which defaults to secret.key in the
// user's configuration folder (~/.config/shipwatch on Linux).
func (r *reader) secretKey(defFile string) (key, file string) {
	key = r.str("SHIPWATCH_SECRET_KEY", "")
	if raw, err := base64.StdEncoding.DecodeString(key); key != "" && (err != nil || len(raw) != 32) {
		r.fail("SHIPWATCH_SECRET_KEY", "(hidden)", "32 bytes in base64, such as the output of `openssl rand -base64 32`")
		return "", ""
	}
	file = r.str("SHIPWATCH_SECRET_KEY_FILE", defFile)
	if file == "" {
		if dir, err := os.UserConfigDir(); err == nil {
			file = filepath.Join(dir, "shipwatch", "secret.key")
		}
	}
	return key, file
}

// CheckpointKeyFile reads SHIPWATCH_CHECKPOINT_KEY_FILE, which defaults to
// checkpoint.key next to the secret key, in the user's configuration
// folder (~/.config/shipwatch on Linux): outside the database, which is
// what the key must never be in.
func CheckpointKeyFile(getenv Env) string {
	if v := strings.TrimSpace(getenv("SHIPWATCH_CHECKPOINT_KEY_FILE")); v != "" {
		return v
	}
	if dir, err := os.UserConfigDir(); err == nil {
		return filepath.Join(dir, "shipwatch", "checkpoint.key")
	}
	return "shipwatch-checkpoint.key"
}

// reader reads settings and keeps the first error.
type reader struct {
	getenv Env
	err    error
}

func (r *reader) fail(name, value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s=%s: want %s", name, clip.Quote(value), want)
	}
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if v != def {
		r.fail(name, v, strings.Join(allowed, " or "))
	}
	return def
}

// positive reads a whole number from 1 to max.
func (r *reader) positive(name string, def, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		r.fail(name, v, "a whole number from 1 to "+strconv.Itoa(max))
		return def
	}
	return n
}

// MaxDuration is the longest duration any setting accepts (100 years,
// for the evidence retention); time.ParseDuration itself refuses what
// would overflow.
const MaxDuration = 100 * 8766 * time.Hour

// duration reads a duration from min to MaxDuration.
func (r *reader) duration(name string, def, min time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > MaxDuration {
		r.fail(name, v, "a duration from "+min.String()+" to 876600h such as 30s or 5m")
		return def
	}
	return d
}

// durations reads a comma-separated list of durations; nil when unset.
func (r *reader) durations(name string) []time.Duration {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []time.Duration
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || d > MaxDuration {
			r.fail(name, v, "comma-separated durations such as 10s,1m,1h")
			return nil
		}
		out = append(out, d)
	}
	return out
}

// MaxSize is the largest size any setting accepts (1 TiB): far above any
// sensible limit, and far enough below MaxInt64 that adding two sizes
// (an upload limit and a body limit) cannot wrap.
const MaxSize = 1 << 40

// bytes reads a size: a number of bytes, or with a KiB, MiB or GiB suffix,
// from 1 byte to MaxSize.
func (r *reader) bytes(name string, def int64) int64 {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, ok := parseSize(v)
	if !ok {
		r.fail(name, v, "a size from 1 to 1024GiB such as 1048576, 512KiB, 4MiB or 1GiB")
		return def
	}
	return n
}

// parseSize parses a size of 1 byte to MaxSize; it never wraps.
func parseSize(v string) (int64, bool) {
	mult := int64(1)
	num := v
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 1 || n > MaxSize/mult {
		return 0, false
	}
	return n * mult, true
}

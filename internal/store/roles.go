package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The roles Shipwatch sets up itself when it is given only a superuser
// (README: Database roles). An operator who sets them up by hand may name
// the owner and the app role as they like; the retention role's name is
// fixed, since the owner hands the purge function to it.
const (
	// OwnerRole owns the schema; migrations run as it. Nobody logs in as it
	// in the setup Shipwatch makes: a superuser connection switches to it.
	OwnerRole = "shipwatch_owner"
	// AppRole is what the server serves as: it may read and write
	// everything but change or delete evidence.
	AppRole = "shipwatch_app"
	// RetentionRole owns the purge function and alone may delete evidence,
	// only through that function. Nobody logs in as it.
	RetentionRole = "shipwatch_retention"
)

// ErrUnsafeRole means the server was given a role that could change
// evidence, or one that cannot apply the migrations it needs.
var ErrUnsafeRole = errors.New("unsafe database role")

// Roles is how Prepare reaches the database.
type Roles struct {
	// DatabaseURL is what the server serves through: the app role, or a
	// superuser from which Prepare sets the roles up itself.
	DatabaseURL string
	// MigrateURL, when set, connects as the schema's owner: migrations and
	// grants go through it, and DatabaseURL must be the app role.
	MigrateURL string
	// AppPassword returns the password Prepare gives the app role it sets
	// up (derived from the secret key, so that replicas agree on it);
	// called only then.
	AppPassword func() (string, error)
}

// Prepared says how Prepare left the database.
type Prepared struct {
	// AppURL is the URL to serve through.
	AppURL string
	// SetUp is true when Prepare created or checked the roles itself,
	// from a superuser DatabaseURL.
	SetUp bool
	// App is the role served as.
	App string
}

// Prepare makes the database ready to serve: it creates it when missing,
// applies migrations as the schema's owner and grants the app role what it
// may do. With MigrateURL it migrates through that URL; with a superuser
// DatabaseURL alone it sets up OwnerRole, AppRole and RetentionRole,
// hands every object to the owner and serves as AppRole; with any other
// DatabaseURL alone it checks that the migrations are applied and that the
// role cannot change evidence.
func Prepare(ctx context.Context, r Roles) (Prepared, error) {
	if r.MigrateURL != "" {
		app, err := userOf(r.DatabaseURL)
		if err != nil {
			return Prepared{}, err
		}
		if err := migrateAsOwner(ctx, r.MigrateURL, app); err != nil {
			return Prepared{}, err
		}
		return Prepared{AppURL: r.DatabaseURL, App: app}, checkAppRole(ctx, r.DatabaseURL)
	}
	if err := ensureDatabase(ctx, r.DatabaseURL); err != nil {
		return Prepared{}, err
	}
	super, err := isSuperuser(ctx, r.DatabaseURL)
	if err != nil {
		return Prepared{}, err
	}
	if !super {
		return Prepared{AppURL: r.DatabaseURL}, checkAppRole(ctx, r.DatabaseURL)
	}
	password, err := r.AppPassword()
	if err != nil {
		return Prepared{}, err
	}
	if err := setUpRoles(ctx, r.DatabaseURL, password); err != nil {
		return Prepared{}, err
	}
	if err := migrateAsOwner(ctx, withParam(r.DatabaseURL, "role", OwnerRole), AppRole); err != nil {
		return Prepared{}, err
	}
	appURL := withUser(r.DatabaseURL, AppRole, password)
	err = checkAppRole(ctx, appURL)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "28P01" {
		// The role was made with another password (another secret key):
		// this process's key decides from now on.
		if err := setAppPassword(ctx, r.DatabaseURL, password); err != nil {
			return Prepared{}, err
		}
		err = checkAppRole(ctx, appURL)
	}
	if err != nil {
		return Prepared{}, err
	}
	return Prepared{AppURL: appURL, SetUp: true, App: AppRole}, nil
}

func isSuperuser(ctx context.Context, dsn string) (bool, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return false, fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	var super bool
	if err := db.QueryRowContext(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil {
		return false, fmt.Errorf("connect to database: %w", err)
	}
	return super, nil
}

// setUpRoles creates the three roles when missing and hands every object
// of the public schema to the owner. Roles belong to the whole server, so
// several databases (and test binaries) may race to create them.
func setUpRoles(ctx context.Context, dsn, appPassword string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	for _, role := range []struct{ name, attrs string }{
		{OwnerRole, "NOLOGIN"},
		{RetentionRole, "NOLOGIN"},
		{AppRole, "LOGIN PASSWORD " + pq.QuoteLiteral(appPassword)},
	} {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role.name).Scan(&exists); err != nil {
			return fmt.Errorf("set up roles: %w", err)
		}
		if exists {
			continue
		}
		_, err := db.ExecContext(ctx, "CREATE ROLE "+pq.QuoteIdentifier(role.name)+" "+role.attrs)
		var pqErr *pq.Error
		// 42710: created meanwhile; 23505: the same, caught by the catalog's index.
		if err != nil && !(errors.As(err, &pqErr) && (pqErr.Code == "42710" || pqErr.Code == "23505")) {
			return fmt.Errorf("set up roles: create %s: %w", role.name, err)
		}
	}
	if _, err := db.ExecContext(ctx, setUpOwnerSQL); err != nil {
		return fmt.Errorf("set up roles: hand objects to %s: %w", OwnerRole, err)
	}
	return nil
}

// setUpOwnerSQL lets the owner create in the public schema, makes it able
// to hand the purge function to the retention role, and gives it every
// table, sequence, function and type of the schema (those made before the
// roles existed were the superuser's). Tables first: their sequences follow.
const setUpOwnerSQL = `
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_has_role('shipwatch_owner', 'shipwatch_retention', 'MEMBER') THEN
        GRANT shipwatch_retention TO shipwatch_owner;
    END IF;
    GRANT USAGE, CREATE ON SCHEMA public TO shipwatch_owner, shipwatch_retention;
    FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND c.relowner <> 'shipwatch_owner'::regrole
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO shipwatch_owner', r.obj);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS obj FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S'
            AND c.relowner <> 'shipwatch_owner'::regrole
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO shipwatch_owner', r.obj);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS obj FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
            AND p.proowner NOT IN ('shipwatch_owner'::regrole, 'shipwatch_retention'::regrole)
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO shipwatch_owner', r.obj);
    END LOOP;
    FOR r IN SELECT t.oid::regtype AS obj FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r')
            AND t.typowner <> 'shipwatch_owner'::regrole
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO shipwatch_owner', r.obj);
    END LOOP;
END
$$`

func setAppPassword(ctx context.Context, dsn, password string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "ALTER ROLE "+pq.QuoteIdentifier(AppRole)+" PASSWORD "+pq.QuoteLiteral(password)); err != nil {
		return fmt.Errorf("set the password of %s: %w", AppRole, err)
	}
	return nil
}

// migrateAsOwner applies the migrations through dsn (the owner) and grants
// app its rights.
func migrateAsOwner(ctx context.Context, dsn, app string) error {
	if err := ensureDatabase(ctx, dsn); err != nil {
		return err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open database as owner: %w", err)
	}
	defer db.Close()
	if err := Migrate(ctx, db); err != nil {
		return err
	}
	if err := GrantApp(ctx, db, app); err != nil {
		return err
	}
	return nil
}

// evidenceTables are the tables whose rows never change.
const evidenceTables = `tracking_events, proof_of_delivery, proof_images, evidence_chains`

// checkpointTables are append-only too, and nobody deletes from them.
const checkpointTables = `evidence_checkpoints, evidence_checkpoint_leaves`

// GrantApp gives role what the server needs, run as the schema's owner
// after the migrations: everything on every table but changing evidence
// or checkpoints (an evidence chain's head may only move forward, which
// its trigger checks) or migration history, and the purge through its function, which
// it hands to RetentionRole.
func GrantApp(ctx context.Context, owner *sql.DB, role string) error {
	app := pq.QuoteIdentifier(role)
	ret := pq.QuoteIdentifier(RetentionRole)
	for _, stmt := range []string{
		`GRANT USAGE ON SCHEMA public TO ` + app,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + app,
		`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ` + app,
		`REVOKE UPDATE, DELETE, TRUNCATE ON ` + evidenceTables + `, ` + checkpointTables + `, schema_migrations FROM ` + app,
		`REVOKE INSERT ON schema_migrations FROM ` + app,
		`GRANT UPDATE (records, head, updated_at) ON evidence_chains TO ` + app,
		`ALTER FUNCTION shipwatch_purge_evidence(timestamptz, integer) OWNER TO ` + ret,
		`GRANT USAGE ON SCHEMA public TO ` + ret,
		`GRANT SELECT, DELETE ON ` + evidenceTables + ` TO ` + ret,
		`GRANT UPDATE ON evidence_chains TO ` + ret, // FOR UPDATE SKIP LOCKED
		`GRANT SELECT ON shipments, disputes TO ` + ret,
		`REVOKE ALL ON FUNCTION shipwatch_purge_evidence(timestamptz, integer) FROM PUBLIC`,
		`GRANT EXECUTE ON FUNCTION shipwatch_purge_evidence(timestamptz, integer) TO ` + app,
	} {
		if _, err := owner.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("grant %s: %s: %w", role, stmt, err)
		}
	}
	return nil
}

// checkAppRole connects as the role the server will serve as and refuses
// one that could change evidence (a superuser, the tables' owner or a
// member of it) or one whose migrations are not applied.
func checkAppRole(ctx context.Context, dsn string) error {
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	var role string
	var super, owns bool
	err = db.QueryRowContext(ctx, `
		SELECT current_user, r.rolsuper,
			coalesce(pg_has_role(current_user, c.relowner, 'USAGE'), false)
		FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('public.tracking_events')
		WHERE r.rolname = current_user`).Scan(&role, &super, &owns)
	if err != nil {
		return fmt.Errorf("connect to database as the app role: %w", err)
	}
	if super || owns {
		return fmt.Errorf("%w: DATABASE_URL connects as %s, which may change evidence (a superuser or the tables' owner): "+
			"serve through a role of its own (README: Database roles)", ErrUnsafeRole, role)
	}
	current, err := (&Store{db: db}).MigrationsCurrent(ctx)
	if err != nil || !current {
		return fmt.Errorf("%w: migrations are not all applied and %s may not apply them: "+
			"set SHIPWATCH_MIGRATE_DATABASE_URL to the schema's owner (README: Database roles)%s", ErrUnsafeRole, role, errSuffix(err))
	}
	return nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// userOf returns the user a postgres:// URL connects as.
func userOf(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil || u.User.Username() == "" {
		return "", fmt.Errorf("DATABASE_URL names no user: with SHIPWATCH_MIGRATE_DATABASE_URL it must be the app role")
	}
	return u.User.Username(), nil
}

// withUser returns dsn connecting as user with password.
func withUser(dsn, user, password string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.User = url.UserPassword(user, password)
	if password == "" {
		u.User = url.User(user)
	}
	return u.String()
}

// withParam returns dsn with a query parameter set; lib/pq sends unknown
// parameters as run-time settings (role=... is SET ROLE for the session).
func withParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// OwnerURL returns a superuser URL acting as OwnerRole, the setup Prepare
// makes: what tests and tools use to migrate as the owner.
func OwnerURL(superuserURL string) string { return withParam(superuserURL, "role", OwnerRole) }

// AppURL returns the URL of AppRole on the database of superuserURL, with
// password.
func AppURL(superuserURL, password string) string { return withUser(superuserURL, AppRole, password) }

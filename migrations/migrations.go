// Package migrations embeds Shipwatch's numbered, append-only SQL migrations.
// Each file is applied once, in order, by store.Migrate.
package migrations

import "embed"

// FS holds the migration files, named NNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/shipwatch/shipwatch/internal/app"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/store"
)

const sellerHelp = `Usage: shipwatch seller create --name NAME

Creates a seller and its first API key, and prints one JSON object:
{"seller_id": "...", "api_key": "sw_..."}. The key is shown only this once.
`

func runSeller(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, sellerHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("seller create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the seller's name (required)")
	fs.Usage = func() { fmt.Fprint(stderr, sellerHelp); fs.PrintDefaults() }
	if code, done := parse(fs, args[1:]); done {
		return code
	}
	if strings.TrimSpace(*name) == "" {
		fmt.Fprintln(stderr, "shipwatch seller create: --name is required")
		return 2
	}
	return withStore(ctx, stderr, getenv, func(st *store.Store) error {
		sel, err := st.InsertSeller(ctx, strings.TrimSpace(*name))
		if err != nil {
			return err
		}
		_, key, err := st.InsertAPIKey(ctx, sel.ID)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(map[string]string{"seller_id": sel.ID, "name": sel.Name, "api_key": key})
	})
}

const apikeyHelp = `Usage:
  shipwatch apikey create --seller ID   prints {"id", "seller_id", "prefix", "api_key"}; the key is shown once
  shipwatch apikey list --seller ID     prints one JSON object per key (id, prefix, dates; never the secret)
  shipwatch apikey revoke KEY_ID        revokes a key at once
`

func runAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Env) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, apikeyHelp)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("apikey "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, apikeyHelp) }
	sellerID := fs.String("seller", "", "the seller's id")
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, apikeyHelp)
		return 0
	case "create", "list":
		if code, done := parse(fs, args[1:]); done {
			return code
		}
		if *sellerID == "" {
			fmt.Fprintf(stderr, "shipwatch apikey %s: --seller is required\n", sub)
			return 2
		}
	case "revoke":
		if err := fs.Parse(args[1:]); err != nil {
			return exitCode(err)
		}
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "shipwatch apikey revoke: give exactly one KEY_ID")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "shipwatch apikey: unknown subcommand %q\n%s", sub, apikeyHelp)
		return 2
	}
	enc := json.NewEncoder(stdout)
	return withStore(ctx, stderr, getenv, func(st *store.Store) error {
		switch sub {
		case "create":
			if _, err := st.Seller(ctx, *sellerID); err != nil {
				return fmt.Errorf("seller %s: %w", *sellerID, err)
			}
			k, key, err := st.InsertAPIKey(ctx, *sellerID)
			if err != nil {
				return err
			}
			return enc.Encode(map[string]string{"id": k.ID, "seller_id": k.SellerID, "prefix": k.Prefix, "api_key": key})
		case "list":
			keys, err := st.APIKeys(ctx, *sellerID)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := enc.Encode(k); err != nil {
					return err
				}
			}
			return nil
		default:
			k, err := st.RevokeAPIKey(ctx, fs.Arg(0))
			if err != nil {
				return fmt.Errorf("key %s: %w", fs.Arg(0), err)
			}
			return enc.Encode(k)
		}
	})
}

func exitCode(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}

// withStore opens the database (creating and migrating it when needed),
// runs fn and reports its error as one line.
func withStore(ctx context.Context, stderr io.Writer, getenv config.Env, fn func(*store.Store) error) int {
	cfg, err := config.Load(getenv, "")
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch: bad configuration:", err)
		return 2
	}
	// The same preparation as serve's: migrations as the owner, the tool's
	// work as the app role.
	prep, err := app.PrepareDatabase(ctx, cfg, newLogger(stderr, cfg.LogFormat, cfg.LogLevel))
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch:", err)
		return 1
	}
	db, err := store.Connect(ctx, prep.AppURL)
	if err != nil {
		fmt.Fprintln(stderr, "shipwatch:", err)
		return 1
	}
	defer db.Close()
	if err := fn(store.New(db)); err != nil {
		fmt.Fprintln(stderr, "shipwatch:", err)
		return 1
	}
	return 0
}

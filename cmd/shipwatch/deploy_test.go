package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoFile reads a file at the repository's root.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// go.mod, the README and the image build one Go version.
func TestGoVersionAgrees(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)$`).FindStringSubmatch(repoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line with a patch version")
	}
	want := m[1]
	if got := regexp.MustCompile(`FROM golang:(\S+?)-`).FindStringSubmatch(repoFile(t, "Dockerfile")); got == nil || got[1] != want {
		t.Errorf("Dockerfile builds with golang:%v, want go.mod's %s", got, want)
	}
	if !strings.Contains(repoFile(t, "README.md"), "You need Go "+want+" ") {
		t.Errorf("README does not say \"You need Go %s\"", want)
	}
}

// docker compose refuses to start without a secret key of the operator's
// own, the container health check gives the first start time to migrate,
// and the build context leaves out what the image does not need.
func TestComposeAndImage(t *testing.T) {
	compose := repoFile(t, "docker-compose.yml")
	if !regexp.MustCompile(`SHIPWATCH_SECRET_KEY: \$\{SHIPWATCH_SECRET_KEY:\?[^}]+\}`).MatchString(compose) {
		t.Error("docker-compose.yml does not refuse to start without SHIPWATCH_SECRET_KEY (${SHIPWATCH_SECRET_KEY:?message})")
	}
	if strings.Contains(compose, "SHIPWATCH_SECRET_KEY:-") {
		t.Error("docker-compose.yml still falls back to a published secret key")
	}
	if !regexp.MustCompile(`(?m)^\s+start_period: \d+s$`).MatchString(compose) {
		t.Error("docker-compose.yml's health check has no start_period")
	}
	ignore := strings.Fields(repoFile(t, ".dockerignore"))
	for _, want := range []string{".git", "bin", "**/node_modules", ".env"} {
		found := false
		for _, l := range ignore {
			found = found || l == want
		}
		if !found {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
}

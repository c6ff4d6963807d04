// Package browser runs the web interface's browser scenario (scenario.mjs):
// it builds ruche, starts `ruche serve` on a fresh SQLite database and a free
// loopback port, reads the first-run link from the node's log, and runs the
// scenario in Debian's chromium through playwright-core, with axe-core on
// every page. Screenshots land in test-results/browser/.
//
// The test runs when RUCHE_TEST_BROWSER is set (make test and CI set it) and
// then fails, never skips, if chromium, node or the npm packages are missing:
// `make browser-deps` installs the packages (npm ci), `apt-get install
// chromium` the browser. Without the variable it skips, so that `go test ./...`
// works on a machine without a browser.
package browser

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ruche-social/ruche/internal/testlog"
)

// EnvBrowser turns the browser scenario on.
const EnvBrowser = "RUCHE_TEST_BROWSER"

func TestBrowserScenario(t *testing.T) {
	if os.Getenv(EnvBrowser) == "" {
		t.Skipf("%s is not set: skipping the browser scenario (make test runs it)", EnvBrowser)
	}
	chromium := os.Getenv("RUCHE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is set but %s is missing: apt-get install chromium", EnvBrowser, chromium)
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set but node is missing: apt-get install nodejs npm", EnvBrowser)
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatalf("%s is set but the npm packages are missing: make browser-deps (npm ci in test/browser)", EnvBrowser)
	}
	results, err := filepath.Abs("../../test-results/browser")
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(results)

	dir := t.TempDir()
	bin := filepath.Join(dir, "ruche")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/ruche")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build ruche: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	base := "http://" + addr
	serve := exec.Command(bin, "serve", "--listen", addr, "--public-url", base,
		"--database-url", "sqlite:"+filepath.Join(dir, "ruche.db"))
	serve.Dir = dir
	serve.Env = cleanEnv()
	logs := &testlog.Buffer{}
	serve.Stdout, serve.Stderr = logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if serve.ProcessState == nil {
			serve.Process.Kill()
			serve.Wait()
		}
	}()
	waitReady(t, base)
	setup := regexp.MustCompile(`http://\S+/setup\?token=[A-Za-z0-9_-]+`).FindString(logs.String())
	if setup == "" {
		t.Fatalf("the node's log has no setup link:\n%s", logs.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, nodeBin, "scenario.mjs")
	run.Env = append(os.Environ(), "RUCHE_URL="+base, "RUCHE_SETUP_URL="+setup, "RUCHE_RESULTS="+results, "RUCHE_CHROMIUM="+chromium)
	out, err := run.CombinedOutput()
	t.Logf("scenario:\n%s", out)
	if err != nil {
		t.Fatalf("browser scenario failed: %v\nnode log:\n%s", err, logs.String())
	}

	// The node stops cleanly.
	serve.Process.Signal(syscall.SIGTERM)
	if err := serve.Wait(); err != nil {
		t.Fatalf("ruche serve after SIGTERM: %v", err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls /readyz until the node answers; it starts in well under a
// second, the limit is for a loaded CI machine.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the node did not become ready")
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUCHE_") {
			env = append(env, kv)
		}
	}
	return env
}

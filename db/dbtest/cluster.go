package dbtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
)

// Cluster is a PostgreSQL server of one test's own, which the test may stop
// and start again: a fault test restarts the database under a running node.
// The shared server of RUCHE_TEST_POSTGRES cannot be used for that.
type Cluster struct {
	// URL is the DSN of the cluster's postgres database, as the node takes
	// it (database.url).
	URL string

	dir     string // removed when the test ends
	data    string
	logFile string
	asUser  []string // the command prefix that runs a program as the postgres user, when root
	bin     string   // the directory of pg_ctl and initdb
}

// PrivatePostgres starts a PostgreSQL cluster for the calling test alone,
// on 127.0.0.1 and a free port, and stops and removes it when the test ends.
// It is a PostgreSQL test like the others: skipped when RUCHE_TEST_POSTGRES
// is unset; when it is set, missing PostgreSQL server programs (initdb,
// pg_ctl) fail the test — test/deps.sh installs them.
//
// The cluster trades durability for speed (fsync off): it is restarted with
// a fast shutdown, which writes everything out, never crashed.
func PrivatePostgres(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(EnvPostgres) == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL run", EnvPostgres)
	}
	bin, err := serverBin()
	if err != nil {
		t.Fatalf("%s is set but a private PostgreSQL cluster cannot be started: %v (install the postgresql package: test/deps.sh does)", EnvPostgres, err)
	}
	c := &Cluster{bin: bin}
	// Not under t.TempDir: as root the server runs as the postgres user,
	// which must reach the data directory, and a test's temporary
	// directories are private to root.
	if c.dir, err = os.MkdirTemp("", "ruche-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	c.data, c.logFile = filepath.Join(c.dir, "data"), filepath.Join(c.dir, "server.log")
	if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, a private PostgreSQL cluster runs as the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.run("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\n"+
		"fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n", port)
	if err := appendFile(filepath.Join(c.data, "postgresql.conf"), conf); err != nil {
		t.Fatal(err)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.pgCtl("status") == nil { // a test may end while the server is down
			if err := c.pgCtl("stop", "-m", "immediate"); err != nil {
				t.Error(err)
			}
		}
	})
	return c
}

// Start starts the server and returns once it accepts connections. Like
// Stop and Restart, it may be called from any goroutine.
func (c *Cluster) Start() error {
	return c.pgCtl("start", "-l", c.logFile)
}

// Stop stops the server with a fast shutdown: the connections are cut at
// once, the sessions end (and their advisory locks with them), and from
// then on connections are refused.
func (c *Cluster) Stop() error {
	return c.pgCtl("stop", "-m", "fast")
}

// Restart stops the server, leaves it down for pause (clients meanwhile find
// the port closed), and starts it again.
func (c *Cluster) Restart(pause time.Duration) error {
	if err := c.Stop(); err != nil {
		return err
	}
	time.Sleep(pause)
	return c.Start()
}

// pgCtl runs pg_ctl on the cluster and waits for it to finish (-w).
func (c *Cluster) pgCtl(args ...string) error {
	return c.run("pg_ctl", append([]string{"-D", c.data, "-w", "-t", "60"}, args...)...)
}

// run runs one of the server's programs, as the postgres user when root.
func (c *Cluster) run(program string, args ...string) error {
	argv := append(slices.Clone(c.asUser), append([]string{filepath.Join(c.bin, program)}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(c.logFile)
		return fmt.Errorf("%s: %v\n%s\nserver log:\n%s", strings.Join(argv, " "), err, out.String(), log)
	}
	return nil
}

// serverBin finds the directory of initdb and pg_ctl: on the PATH, or where
// Debian's postgresql packages put them (the newest version).
func serverBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("initdb and pg_ctl are neither on the PATH nor in /usr/lib/postgresql/*/bin")
}

// version reads the major version from /usr/lib/postgresql/VERSION/bin.
func version(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Open returns the cluster's database, migrated, closed when the test ends.
func (c *Cluster) Open(t testing.TB) *db.DB {
	t.Helper()
	return openMigrated(t, c.URL)
}

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// proc is a server process under measurement.
type proc struct {
	cmd  *exec.Cmd
	addr string
	log  *os.File
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs bin with args (where "{addr}" is replaced by a free loopback
// address) in dir and waits until GET /readyz answers 200. It returns the
// process and the time from exec to ready.
func start(ctx context.Context, dir, bin string, env []string, args ...string) (*proc, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	return startAt(ctx, dir, addr, bin, env, args...)
}

// startAt is start on a given address (a node whose public_url is fixed).
func startAt(ctx context.Context, dir, addr, bin string, env []string, args ...string) (*proc, time.Duration, error) {
	args = append([]string(nil), args...)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{addr}", addr)
	}
	logf, err := os.Create(filepath.Join(dir, filepath.Base(bin)+"-"+strings.ReplaceAll(addr, ":", "_")+".log"))
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.Env = append(os.Environ(), env...)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, addr: addr, log: logf}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if res, err := client.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p, time.Since(began), nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	p.kill()
	return nil, 0, fmt.Errorf("%s never became ready (log: %s)", bin, logf.Name())
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.log.Close()
}

// stop ends the process gracefully.
func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	p.log.Close()
}

// rssMB reads the resident set size of the process from /proc.
func (p *proc) rssMB() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", p.cmd.Process.Pid)
}

// buildBaseline compiles the bare net/http server the same way as ruche.
func buildBaseline(work string) (string, error) {
	bin := filepath.Join(work, "baseline")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./bench/baseline")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build baseline: %v: %s", err, out)
	}
	return bin, nil
}

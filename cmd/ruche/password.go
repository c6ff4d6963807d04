package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// readPassword reads a password from the first line of standard input when
// fromStdin is set, or else asks for it twice on the terminal without echo.
// Passwords never come from flags: those end up in shell history and ps.
func readPassword(c cli, fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", usagef("--password-stdin: nothing to read on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("no terminal to ask the password on: pipe it with --password-stdin")
	}
	ask := func(p string) (string, error) {
		fmt.Fprint(c.stderr, p+": ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		return string(b), err
	}
	first, err := ask(prompt)
	if err != nil {
		return "", err
	}
	second, err := ask("Again")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the two passwords differ")
	}
	return first, nil
}

package spaces

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordParams set the cost of argon2id.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams follow OWASP's recommendation for argon2id
// (19 MiB, 2 passes, 1 lane): about 30 ms on a server core.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// hashConcurrency bounds simultaneous hashes: each takes Memory KiB, and a burst
// of sign-ins must not take the node's memory with it.
var hashConcurrency = max(2, runtime.GOMAXPROCS(0))

const (
	minPasswordLen = 10
	maxPasswordLen = 256
)

// commonPasswords are refused outright: they are the first guesses of any attack.
var commonPasswords = map[string]bool{
	"1234567890": true, "0123456789": true, "password12": true, "password123": true,
	"motdepasse": true, "motdepasse1": true, "azertyuiop": true, "qwertyuiop": true,
	"passwort123": true, "qwertzuiop": true, "1111111111": true, "abcdefghij": true,
	"iloveyou123": true, "administrator": true, "changeme123": true, "welcome123": true,
	"bienvenue123": true, "willkommen1": true, "0000000000": true, "123456789a": true,
}

// checkPassword applies the password rules: long enough, not absurdly long, not
// a common password, not the username.
func checkPassword(password, username string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	switch {
	case password == "":
		return invalid("password", "password_required", "a password is required")
	case n < minPasswordLen:
		return invalid("password", "password_too_short", fmt.Sprintf("the password must have at least %d characters", minPasswordLen))
	case len(password) > maxPasswordLen:
		return invalid("password", "password_too_long", fmt.Sprintf("the password must have at most %d bytes", maxPasswordLen))
	case commonPasswords[lower] || strings.Count(lower, lower[:1]) == len(lower):
		return invalid("password", "password_too_common", "this password is too easy to guess")
	case username != "" && strings.Contains(lower, strings.ToLower(username)):
		return invalid("password", "password_contains_username", "the password must not contain the username")
	}
	return nil
}

// hashPassword returns the PHC string of password under argon2id.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	if err := s.acquireHashSlot(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashSlots }()
	p := s.opts.Password
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword tells whether password matches the PHC string encoded, taking
// the cost parameters from the string so that old hashes keep working.
func (s *Service) verifyPassword(ctx context.Context, encoded, password string) (bool, error) {
	var (
		version int
		p       PasswordParams
	)
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unknown password hash format")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("argon2 parameters: %w", err)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err := errors.Join(err1, err2); err != nil {
		return false, fmt.Errorf("argon2 salt or key: %w", err)
	}
	if err := s.acquireHashSlot(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashSlots }()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func (s *Service) acquireHashSlot(ctx context.Context) error {
	select {
	case s.hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package spaces

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ruche-social/ruche/db"
)

// RemoteProfile is what another server publishes about one of its actors,
// already parsed and stripped of markup by the federation layer.
type RemoteProfile struct {
	URI            string // the actor's IRI; its host is the account's domain
	Type           string // Person, Group, Application, Service, Organization
	Username       string // preferredUsername
	DisplayName    string
	Bio            string
	Locked         bool // manuallyApprovesFollowers
	InboxURI       string
	SharedInboxURI string
	OutboxURI      string
	FollowersURI   string
	FollowingURI   string
	URL            string
	IconURL        string
}

// Limits on what the node keeps of a remote profile: longer text is cut, not
// refused, since the other server decides what its actors say.
const (
	remoteNameMax = 200
	remoteBioMax  = 5000
)

var errRemoteGone = &Error{Kind: KindGone, Code: "account_deleted", Message: "this account was deleted"}

// SaveRemoteAccount records a remote actor, or refreshes what the node knows
// of it, after the federation layer fetched its document or received its
// Update. The actor is keyed by its IRI; a deleted actor stays deleted.
func (s *Service) SaveRemoteAccount(ctx context.Context, p RemoteProfile) (*Account, error) {
	u, err := url.Parse(p.URI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, invalid("uri", "actor_uri_invalid", "the actor's id is not an http(s) IRI")
	}
	domain := strings.ToLower(u.Host)
	if p.Username == "" || len(p.Username) > 200 || !utf8.ValidString(p.Username) || strings.ContainsAny(p.Username, "@/ \t\r\n") {
		return nil, invalid("username", "actor_username_invalid", "the actor has no usable preferredUsername")
	}
	switch p.Type {
	case TypePerson, TypeGroup, TypeApplication, "Service", "Organization":
	default:
		return nil, invalid("type", "actor_type_invalid", "this is not an actor type")
	}
	now := s.now()
	var out *Account
	// Two requests may bring the same new actor at once: the loser of the
	// insert finds the winner's row on its second try and updates it.
	for try := 0; try < 2; try++ {
		err = s.db.InTx(ctx, func(tx *db.DB) error {
			a, err := tx.AccountByURI(ctx, p.URI)
			isNew := errors.Is(err, db.ErrNotFound)
			switch {
			case isNew:
				a = &Account{ID: newID(), URI: p.URI, Domain: domain, Status: StatusActive, CreatedAt: now}
			case err != nil:
				return err
			case !a.DeletedAt.IsZero():
				return errRemoteGone
			}
			a.Type, a.Username = p.Type, p.Username
			a.DisplayName = cut(p.DisplayName, remoteNameMax)
			a.Bio = cut(p.Bio, remoteBioMax)
			a.Locked = p.Locked
			a.InboxURI, a.SharedInboxURI, a.OutboxURI = p.InboxURI, p.SharedInboxURI, p.OutboxURI
			a.FollowersURI, a.FollowingURI, a.URL, a.IconURL = p.FollowersURI, p.FollowingURI, p.URL, p.IconURL
			a.FetchedAt, a.UpdatedAt = now, now
			out = a
			if isNew {
				return tx.InsertAccount(ctx, a)
			}
			return tx.UpdateAccount(ctx, a)
		})
		if !errors.Is(err, db.ErrConflict) {
			break
		}
	}
	if errors.Is(err, db.ErrConflict) {
		return nil, conflict("username", "actor_username_taken", "another actor of that server has this name")
	}
	if err != nil {
		return nil, internal("save remote account", err)
	}
	return out, nil
}

// RemoteAccountByURI finds a remote account the node knows, by its IRI.
func (s *Service) RemoteAccountByURI(ctx context.Context, uri string) (*Account, error) {
	a, err := s.db.AccountByURI(ctx, uri)
	if err != nil {
		return nil, notFoundOr("remote account", err, notFound("account_not_found", "no such account"))
	}
	return a, nil
}

// cut drops control characters (but newlines and tabs) and invalid UTF-8
// from remote text and shortens it to at most n runes.
func cut(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

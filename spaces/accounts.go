package spaces

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ruche-social/ruche/db"
)

// Member roles on a node.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleMember    = "member"
)

// Account statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Actor types of accounts.
const (
	TypePerson      = "Person"
	TypeGroup       = "Group"
	TypeApplication = "Application"
)

// Roles and Locales are the values a member's role and language may take.
var (
	Roles   = []string{RoleAdmin, RoleModerator, RoleMember}
	Locales = []string{"fr", "en", "de"}
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// reservedNames cannot be taken by members or spaces: they are path segments of
// the node's own routes (a name like "api" would shadow /api/…), words a visitor
// would take for the node speaking, or addresses mail systems reserve.
var reservedNames = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`
		about abuse account accounts activities activity actor admin administrator agenda api app apps calendar compose preview
		assets auth avatar avatars banner block blocks bookmarks console contact css docs
		domain domains events explore export favicon feed feeds featured federation files follow followers
		following healthz help home hostmaster img inbox info instance invitation invitations
		invite invites js language login new logout mail manifestwebmanifest me media members moderator moderators noc nodeinfo
		notifications oauth onboarding outbox password postmaster posts privacy profile public
		readyz register registration robots root ruche search security services settings setup
		share sign_in sign_out signin signout signup sitemap spaces static status support system
		tags terms timeline tos users webfinger webmaster well_known www _ null undefined
		anonymous nobody everyone all`) {
		reservedNames[n] = true
	}
}

// IsReservedName tells whether name cannot be a username or a space's slug.
func IsReservedName(name string) bool { return reservedNames[strings.ToLower(name)] }

// normalizeUsername lowercases and checks a proposed local name.
func normalizeUsername(raw string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case name == "":
		return "", invalid("username", "username_required", "a username is required")
	case !usernamePattern.MatchString(name):
		return "", invalid("username", "username_invalid", "a username has 1 to 30 characters among a-z, 0-9 and _")
	case IsReservedName(name):
		return "", invalid("username", "username_reserved", "this name is reserved")
	}
	return name, nil
}

func normalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	if email == "" {
		return "", invalid("email", "email_required", "an email address is required")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.IndexByte(email, '@'):], ".") {
		return "", invalid("email", "email_invalid", "this is not an email address")
	}
	return email, nil
}

// checkText checks a single-line or multi-line free text field: a bounded length
// and no control characters (newlines allowed where multiline).
func checkText(field, value string, maxRunes int, multiline bool) error {
	if !utf8.ValidString(value) {
		return invalid(field, field+"_invalid", "the text is not valid UTF-8")
	}
	if utf8.RuneCountInString(value) > maxRunes {
		return &Error{Kind: KindInvalid, Field: field, Code: field + "_too_long", Message: "the text is too long"}
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return invalid(field, field+"_invalid", "the text contains control characters")
		}
	}
	return nil
}

func checkLocale(locale string) error {
	if !slices.Contains(Locales, locale) {
		return invalid("locale", "locale_invalid", "the language must be one of fr, en, de")
	}
	return nil
}

// NewMember is what it takes to create a local member.
type NewMember struct {
	Username    string
	Email       string
	Password    string
	DisplayName string
	Locale      string // empty: the node's default
	Role        string // empty: member
	// Invite is the token of the invitation used to register, if any.
	Invite string
}

// Register creates a member for someone signing up on their own, under the
// node's registration policy: closed, by invitation, or open.
func (s *Service) Register(ctx context.Context, in NewMember) (*Account, error) {
	in.Role = RoleMember
	settings, err := s.NodeSettings(ctx)
	if err != nil {
		return nil, err
	}
	switch settings.Registrations {
	case RegistrationsClosed:
		return nil, forbidden("registrations_closed", "this node does not take registrations")
	case RegistrationsInvite:
		if strings.TrimSpace(in.Invite) == "" {
			return nil, invalid("invite", "invite_required", "registration on this node needs an invitation")
		}
	}
	return s.createMember(ctx, in, nil)
}

// CreateMember creates a member with any role. Only admins and the console may.
func (s *Service) CreateMember(ctx context.Context, by *Account, in NewMember) (*Account, error) {
	if !isAdmin(by) {
		return nil, forbidden("admin_only", "only an admin may create members")
	}
	in.Invite = ""
	return s.createMember(ctx, in, nil)
}

// createMember checks and stores a new member. guard, if not nil, runs first in
// the member's transaction: an error from it aborts the creation.
func (s *Service) createMember(ctx context.Context, in NewMember, guard func(tx *db.DB) error) (*Account, error) {
	username, err := normalizeUsername(in.Username)
	if err != nil {
		return nil, err
	}
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(in.Password, username); err != nil {
		return nil, err
	}
	display := strings.TrimSpace(in.DisplayName)
	if display == "" {
		display = username
	}
	if err := checkText("display_name", display, 100, false); err != nil {
		return nil, err
	}
	locale := cmp.Or(in.Locale, s.defaultLocale(ctx))
	if err := checkLocale(locale); err != nil {
		return nil, err
	}
	role := cmp.Or(in.Role, RoleMember)
	if !slices.Contains(Roles, role) {
		return nil, invalid("role", "role_invalid", "the role must be one of admin, moderator, member")
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, internal("hash password", err)
	}

	now := s.now()
	acct := &Account{
		ID: newID(), Type: TypePerson, Username: username, DisplayName: display,
		Status: StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	user := &User{
		AccountID: acct.ID, Email: email, PasswordHash: hash, Role: role, Locale: locale,
		CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InTx(ctx, func(tx *db.DB) error {
		if guard != nil {
			if err := guard(tx); err != nil {
				return err
			}
		}
		if _, err := tx.LocalAccountByUsername(ctx, username); err == nil {
			return conflict("username", "username_taken", "this username is taken")
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if _, err := tx.LocalAccountByEmail(ctx, email); err == nil {
			return conflict("email", "email_taken", "an account already uses this email address")
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		if in.Invite != "" {
			inv, err := s.useInvitation(ctx, tx, in.Invite)
			if err != nil {
				return err
			}
			user.InvitationID = inv.ID
		}
		if err := tx.InsertAccount(ctx, acct); err != nil {
			return err
		}
		if err := tx.InsertUser(ctx, user); err != nil {
			return err
		}
		acct.User = user
		return s.emit(ctx, tx, AccountCreated{Account: acct})
	})
	if errors.Is(err, db.ErrConflict) {
		// lost a race with another registration of the same name or address
		return nil, conflict("username", "username_taken", "this username or email address is taken")
	}
	if err != nil {
		return nil, internal("create member", err)
	}
	return acct, nil
}

// AccountCreated is emitted when a local account is created.
type AccountCreated struct{ Account *Account }

// AccountUpdated is emitted when a local account's public profile changes.
type AccountUpdated struct{ Account *Account }

// AccountSuspended is emitted when an account is suspended.
type AccountSuspended struct{ Account *Account }

// AccountUnsuspended is emitted when a suspension is lifted.
type AccountUnsuspended struct{ Account *Account }

func (AccountCreated) eventName() string     { return "account created" }
func (AccountUpdated) eventName() string     { return "account updated" }
func (AccountSuspended) eventName() string   { return "account suspended" }
func (AccountUnsuspended) eventName() string { return "account unsuspended" }

// LocalAccount finds a local account by username, any type, ignoring case.
func (s *Service) LocalAccount(ctx context.Context, username string) (*Account, error) {
	a, err := s.db.LocalAccountByUsername(ctx, username)
	if err != nil {
		return nil, notFoundOr("find account", err, notFound("account_not_found", "no such account"))
	}
	return a, nil
}

// ApplicationAccount returns the local Application account username (the
// node's own actor, which signs its fetches), creating it the first time
// with displayName. Processes starting at once may race: the loser reads
// the winner's row.
func (s *Service) ApplicationAccount(ctx context.Context, username, displayName string) (*Account, error) {
	a, err := s.db.LocalAccountByUsername(ctx, username)
	if !errors.Is(err, db.ErrNotFound) {
		return a, err
	}
	now := s.now()
	a = &Account{
		ID: newID(), Type: TypeApplication, Username: username,
		DisplayName: displayName, Status: StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InsertAccount(ctx, a)
	if errors.Is(err, db.ErrConflict) {
		return s.db.LocalAccountByUsername(ctx, username)
	}
	if err != nil {
		return nil, fmt.Errorf("create the account %s: %w", username, err)
	}
	return a, nil
}

// localMember finds a local member (an account with a user part).
func (s *Service) localMember(ctx context.Context, tx *db.DB, username string) (*Account, error) {
	errNoMember := notFound("member_not_found", "no such member")
	a, err := tx.LocalAccountByUsername(ctx, username)
	if err != nil {
		return nil, notFoundOr("find member", err, errNoMember)
	}
	if a.User == nil { // a space, the node's actor, or a deleted member
		return nil, errNoMember
	}
	return a, nil
}

// HasAdmin tells whether the node has at least one active admin.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	n, err := s.db.CountLocalMembers(ctx, db.AccountFilter{Role: RoleAdmin, Status: StatusActive})
	if err != nil {
		return false, internal("count admins", err)
	}
	return n > 0, nil
}

// MemberFilter narrows ListMembers.
type MemberFilter = db.AccountFilter

// ListMembers lists the node's members. Admins and moderators only.
func (s *Service) ListMembers(ctx context.Context, by *Account, f MemberFilter) ([]*Account, error) {
	if !isStaff(by) {
		return nil, forbidden("staff_only", "only admins and moderators may list members")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	out, err := s.db.ListLocalMembers(ctx, f)
	if err != nil {
		return nil, internal("list members", err)
	}
	return out, nil
}

// SetRole changes a member's role. Admins only; the last active admin cannot
// step down, or the node would have nobody to run it.
func (s *Service) SetRole(ctx context.Context, by *Account, username, role string) (*Account, error) {
	if !isAdmin(by) {
		return nil, forbidden("admin_only", "only an admin may change roles")
	}
	if !slices.Contains(Roles, role) {
		return nil, invalid("role", "role_invalid", "the role must be one of admin, moderator, member")
	}
	var target *Account
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := s.localMember(ctx, tx, username)
		if err != nil {
			return err
		}
		if a.User.Role == RoleAdmin && role != RoleAdmin {
			if err := s.keepOneAdmin(ctx, tx, a); err != nil {
				return err
			}
		}
		a.User.Role, a.User.UpdatedAt = role, s.now()
		target = a
		return tx.UpdateUser(ctx, a.User, "role", "updated_at")
	})
	if err != nil {
		return nil, internal("set role", err)
	}
	return target, nil
}

// keepOneAdmin refuses a change that would leave the node without an active admin.
func (s *Service) keepOneAdmin(ctx context.Context, tx *db.DB, a *Account) error {
	if a.User == nil || a.User.Role != RoleAdmin || a.Status != StatusActive {
		return nil
	}
	n, err := tx.CountLocalMembers(ctx, db.AccountFilter{Role: RoleAdmin, Status: StatusActive})
	if err != nil {
		return err
	}
	if n <= 1 {
		return conflict("", "last_admin", "this is the node's last admin: promote another member first")
	}
	return nil
}

// Suspend stops a member from signing in and from being seen, and signs them
// out everywhere. Admins may suspend anyone but the last admin; moderators may
// suspend members only.
func (s *Service) Suspend(ctx context.Context, by *Account, username string) (*Account, error) {
	return s.setStatus(ctx, by, username, StatusSuspended)
}

// Unsuspend lifts a suspension. The same people who may suspend may lift it.
func (s *Service) Unsuspend(ctx context.Context, by *Account, username string) (*Account, error) {
	return s.setStatus(ctx, by, username, StatusActive)
}

func (s *Service) setStatus(ctx context.Context, by *Account, username, status string) (*Account, error) {
	if !isStaff(by) {
		return nil, forbidden("staff_only", "only admins and moderators may suspend members")
	}
	var target *Account
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := s.localMember(ctx, tx, username)
		if err != nil {
			return err
		}
		if !isAdmin(by) && a.User.Role != RoleMember {
			return forbidden("admin_only", "only an admin may suspend an admin or a moderator")
		}
		if by != nil && by.ID == a.ID {
			return forbidden("not_yourself", "you cannot suspend yourself")
		}
		if a.Status == status {
			target = a
			return nil
		}
		if status == StatusSuspended {
			if err := s.keepOneAdmin(ctx, tx, a); err != nil {
				return err
			}
			if err := tx.DeleteSessions(ctx, a.ID, ""); err != nil {
				return err
			}
		}
		a.Status, a.UpdatedAt = status, s.now()
		if err := tx.UpdateAccount(ctx, a, "status", "updated_at"); err != nil {
			return err
		}
		target = a
		if status == StatusSuspended {
			return s.emit(ctx, tx, AccountSuspended{Account: a})
		}
		return s.emit(ctx, tx, AccountUnsuspended{Account: a})
	})
	if err != nil {
		return nil, internal("set status", err)
	}
	return target, nil
}

// ProfileUpdate holds the profile fields a member changes; nil leaves a field as is.
type ProfileUpdate struct {
	DisplayName *string
	Bio         *string
	Locale      *string
	Locked      *bool
	AvatarID    *string // a media id of an image the member uploaded; "" clears it
}

// UpdateProfile changes a member's own profile.
func (s *Service) UpdateProfile(ctx context.Context, by *Account, in ProfileUpdate) (*Account, error) {
	if by == nil || by.User == nil || by == Console {
		return nil, errUnauthenticated
	}
	var updated *Account
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := tx.AccountByID(ctx, by.ID)
		if err != nil {
			return err
		}
		if in.DisplayName != nil {
			v := strings.TrimSpace(*in.DisplayName)
			if v == "" {
				v = a.Username
			}
			if err := checkText("display_name", v, 100, false); err != nil {
				return err
			}
			a.DisplayName = v
		}
		if in.Bio != nil {
			v := strings.TrimSpace(*in.Bio)
			if err := checkText("bio", v, 1000, true); err != nil {
				return err
			}
			a.Bio = v
		}
		if in.Locked != nil {
			a.Locked = *in.Locked
		}
		if in.Locale != nil {
			if err := checkLocale(*in.Locale); err != nil {
				return err
			}
			a.User.Locale = *in.Locale
		}
		if in.AvatarID != nil {
			if a.AvatarID, err = ownImage(ctx, tx, a, "avatar_id", *in.AvatarID); err != nil {
				return err
			}
		}
		now := s.now()
		a.UpdatedAt, a.User.UpdatedAt = now, now
		if err := tx.UpdateAccount(ctx, a, "display_name", "bio", "locked", "avatar_id", "updated_at"); err != nil {
			return err
		}
		if err := tx.UpdateUser(ctx, a.User, "locale", "updated_at"); err != nil {
			return err
		}
		updated = a
		return s.emit(ctx, tx, AccountUpdated{Account: a})
	})
	if err != nil {
		return nil, internal("update profile", err)
	}
	return updated, nil
}

// Console stands for the person at the node's command line: it may do what an
// admin may. Doors that serve the network never pass it; a nil *Account stands
// for an anonymous visitor.
var Console = &Account{Username: "console", Type: TypeApplication, Status: StatusActive}

func isAdmin(a *Account) bool {
	return a == Console || (a != nil && a.User != nil && a.Status == StatusActive && a.User.Role == RoleAdmin)
}

func isStaff(a *Account) bool {
	return isAdmin(a) || (a != nil && a.User != nil && a.Status == StatusActive && a.User.Role == RoleModerator)
}

// ManagedMember returns a member as the node's staff see them (email, role,
// status). Admins and moderators only.
func (s *Service) ManagedMember(ctx context.Context, by *Account, username string) (*Account, error) {
	if !isStaff(by) {
		return nil, forbidden("staff_only", "only admins and moderators may see members' details")
	}
	return s.localMember(ctx, s.db, username)
}

// IsAdmin tells whether a may act as the node's admin. The doors use it to
// choose what to show; the operations check for themselves.
func IsAdmin(a *Account) bool { return isAdmin(a) }

// IsStaff tells whether a is an active admin or moderator of the node.
func IsStaff(a *Account) bool { return isStaff(a) }

// MemberProfile returns the public profile of a local member, as anyone may
// see it. Suspended members are not seen; spaces and the node's own actor are
// not members.
func (s *Service) MemberProfile(ctx context.Context, username string) (*Account, error) {
	a, err := s.localMember(ctx, s.db, username)
	if err != nil {
		return nil, err
	}
	if a.Type != TypePerson || a.Status != StatusActive {
		return nil, notFound("member_not_found", "no such member")
	}
	return a, nil
}

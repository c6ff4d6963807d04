package spaces

import (
	"context"

	"github.com/ruche-social/ruche/db"
)

// StatusDeleted is the status of a deleted account. The row stays, emptied,
// so that its name can never be taken again by someone else (other servers
// cached it) and so that its key can still sign the Delete that tells them.
const StatusDeleted = "deleted"

// AccountDeleted is emitted when an account is deleted, local or remote,
// before its follows go: listeners still see who followed it and whom it
// followed.
type AccountDeleted struct{ Account *Account }

func (AccountDeleted) eventName() string { return "account deleted" }

// DeleteOwnAccount deletes the signed-in member's account, once they
// confirmed with their password. The node's last admin cannot leave it
// without an admin.
func (s *Service) DeleteOwnAccount(ctx context.Context, by *Account, password string) error {
	if by == nil || by == Console || by.User == nil || by.Status != StatusActive {
		return errUnauthenticated
	}
	ok, err := s.verifyPassword(ctx, by.User.PasswordHash, password)
	if err != nil {
		return internal("verify password", err)
	}
	if !ok {
		return &Error{Kind: KindInvalid, Field: "password", Code: "wrong_password", Message: "the password is wrong"}
	}
	return s.deleteLocal(ctx, by.Username)
}

// DeleteMember deletes a member's account. Admins and the console only; an
// admin deletes their own account with DeleteOwnAccount.
func (s *Service) DeleteMember(ctx context.Context, by *Account, username string) error {
	if !isAdmin(by) {
		return forbidden("admin_only", "only an admin may delete members")
	}
	if by != Console && by.Username == username {
		return forbidden("not_yourself", "delete your own account from your settings")
	}
	return s.deleteLocal(ctx, username)
}

func (s *Service) deleteLocal(ctx context.Context, username string) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := s.localMember(ctx, tx, username)
		if err != nil {
			return err
		}
		if err := s.keepOneAdmin(ctx, tx, a); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, AccountDeleted{Account: a}); err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, a.ID); err != nil {
			return err
		}
		return s.empty(ctx, tx, a)
	})
	if err != nil {
		return internal("delete account", err)
	}
	return nil
}

// RemoteAccountDeleted records that a remote actor was deleted by its own
// server: by is the actor itself, whose server said so with a signed Delete.
func (s *Service) RemoteAccountDeleted(ctx context.Context, by *Account) error {
	if by == nil || by.IsLocal() {
		return forbidden("not_remote", "only another server deletes its actors this way")
	}
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		a, err := tx.AccountByID(ctx, by.ID)
		if err != nil {
			return notFoundOr("remote account", err, notFound("account_not_found", "no such account"))
		}
		if a.Status == StatusDeleted {
			return nil // a Delete received twice
		}
		if err := s.emit(ctx, tx, AccountDeleted{Account: a}); err != nil {
			return err
		}
		return s.empty(ctx, tx, a)
	})
	if err != nil {
		return internal("delete remote account", err)
	}
	return nil
}

// empty clears what an account said and whom it knew, and marks it deleted.
func (s *Service) empty(ctx context.Context, tx *db.DB, a *Account) error {
	if err := tx.DeleteFollowsOf(ctx, a.ID); err != nil {
		return err
	}
	now := s.now()
	a.DisplayName, a.Bio, a.Locked = "", "", false
	a.Status, a.DeletedAt, a.UpdatedAt = StatusDeleted, now, now
	a.User = nil
	return tx.UpdateAccount(ctx, a, "display_name", "bio", "locked", "status", "deleted_at", "updated_at")
}

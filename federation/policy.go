package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// ErrHostRefused is returned for a host the node does not federate with:
// blocked, or absent from the allowlist in allowlist mode.
var ErrHostRefused = errors.New("this node does not federate with that host")

// hostAllowed tells whether the node federates with host (host[:port]). A
// rule without a port covers every port of the host and its subdomains; a
// rule with a port covers that host and port only.
func (f *Federation) hostAllowed(ctx context.Context, host string) error {
	host = strings.ToLower(host)
	if host == "" {
		return ErrHostRefused
	}
	blocks, allowed, err := f.rules(ctx)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if hostMatches(host, b.Domain) {
			return fmt.Errorf("%w: %s is blocked", ErrHostRefused, host)
		}
	}
	if f.cfg.Federation.Mode == config.FederationAllowlist && !onList(allowed, host) {
		return fmt.Errorf("%w: %s is not on the allowlist", ErrHostRefused, host)
	}
	return nil
}

// blocksTTL is how long the list of blocked domains is kept in memory. The
// inbox checks it twice per request and delivery once per batch; a block
// made in this process is seen at once (the list is dropped when it
// commits), one made by another process (the admin command, another worker)
// within blocksTTL.
const blocksTTL = 2 * time.Second

// rules returns the blocked domains and the allowlist (the configuration's
// hosts and those admins added), read again when the copy in memory is
// older than blocksTTL.
func (f *Federation) rules(ctx context.Context) ([]*db.DomainBlock, []string, error) {
	f.blocksMu.Lock()
	defer f.blocksMu.Unlock()
	if f.blocksAt.IsZero() || time.Since(f.blocksAt) > blocksTTL {
		blocks, err := f.store.ListDomainBlocks(ctx)
		if err != nil {
			return nil, nil, err
		}
		hosts, err := f.store.ListAllowedHosts(ctx)
		if err != nil {
			return nil, nil, err
		}
		allowed := slices.Clone(f.cfg.Federation.Allowlist)
		for _, h := range hosts {
			allowed = append(allowed, h.Host)
		}
		f.blocks, f.allowed, f.blocksAt = blocks, allowed, time.Now()
	}
	return f.blocks, f.allowed, nil
}

// onList tells whether host falls under one of the rules.
func onList(rules []string, host string) bool {
	host = strings.ToLower(host)
	return slices.ContainsFunc(rules, func(rule string) bool { return hostMatches(host, strings.ToLower(rule)) })
}

// forgetBlocks drops the list in memory: the next check reads it again.
func (f *Federation) forgetBlocks() {
	f.blocksMu.Lock()
	f.blocksAt = time.Time{}
	f.blocksMu.Unlock()
}

// InAllowlist tells whether host is on the node's allowlist: a partner node
// that may see content of `network` visibility.
func (f *Federation) InAllowlist(host string) bool {
	_, allowed, err := f.rules(context.Background())
	if err != nil {
		f.log.Warn("allowlist", "err", err)
		allowed = f.cfg.Federation.Allowlist // what the configuration says holds in any case
	}
	return onList(allowed, host)
}

// hostMatches tells whether host[:port] falls under rule.
func hostMatches(host, rule string) bool {
	if host == rule {
		return true
	}
	if _, _, err := net.SplitHostPort(rule); err == nil {
		return false // a rule with a port matches exactly
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	return name == rule || strings.HasSuffix(name, "."+rule)
}

// BlockDomain blocks a domain: nothing from it is accepted, nothing is
// delivered to it, and pending deliveries to it are given up.
func (f *Federation) BlockDomain(ctx context.Context, domain, reason string) error {
	d, err := config.NormalizeHost(domain)
	if strings.TrimSpace(domain) == "" {
		return spaces.ErrDomainRequired
	}
	if err != nil {
		return spaces.ErrDomainInvalid.With(err)
	}
	if strings.EqualFold(d, f.host) {
		return spaces.ErrDomainSelf.With(fmt.Errorf("%s is this node", d))
	}
	now := f.clock()
	defer f.forgetBlocks()
	return f.store.Tx(ctx, func(ctx context.Context) error {
		if err := f.store.InsertDomainBlock(ctx, &db.DomainBlock{Domain: d, Reason: reason, CreatedAt: now}); err != nil {
			if errors.Is(err, db.ErrConflict) {
				return spaces.ErrDomainBlocked.With(fmt.Errorf("%s is blocked already", d))
			}
			return err
		}
		return f.queue.Drop(ctx, func(host string) bool { return hostMatches(host, d) }, "domain blocked")
	})
}

// UnblockDomain lifts a block.
func (f *Federation) UnblockDomain(ctx context.Context, domain string) error {
	d, err := config.NormalizeHost(domain)
	if err != nil {
		return spaces.ErrDomainInvalid.With(err)
	}
	defer f.forgetBlocks()
	if err := f.store.DeleteDomainBlock(ctx, d); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return spaces.ErrDomainNotHeld.With(fmt.Errorf("%s is not blocked", d))
		}
		return err
	}
	return nil
}

// DomainBlocks lists the blocked domains.
func (f *Federation) DomainBlocks(ctx context.Context) ([]*db.DomainBlock, error) {
	return f.store.ListDomainBlocks(ctx)
}

// AllowHost puts a partner host on the allowlist: in allowlist mode the node
// federates with it, and in any mode it may see content of `network`
// visibility.
func (f *Federation) AllowHost(ctx context.Context, host, note string) error {
	if strings.TrimSpace(host) == "" {
		return spaces.ErrDomainRequired.On("host")
	}
	h, err := config.NormalizeHost(host)
	if err != nil {
		return spaces.ErrDomainInvalid.On("host").With(err)
	}
	if strings.EqualFold(h, f.host) {
		return spaces.ErrHostSelf.With(fmt.Errorf("%s is this node", h))
	}
	if slices.ContainsFunc(f.cfg.Federation.Allowlist, func(r string) bool { return strings.EqualFold(r, h) }) {
		return spaces.ErrHostAllowed.With(fmt.Errorf("%s is in the configuration's allowlist", h))
	}
	defer f.forgetBlocks()
	err = f.store.InsertAllowedHost(ctx, &db.AllowedHost{Host: h, Note: note, CreatedAt: f.clock()})
	if errors.Is(err, db.ErrConflict) {
		return spaces.ErrHostAllowed.With(err)
	}
	return err
}

// DisallowHost takes a host an admin added off the allowlist; hosts of the
// configuration stay until the configuration changes.
func (f *Federation) DisallowHost(ctx context.Context, host string) error {
	h, err := config.NormalizeHost(host)
	if err != nil {
		return spaces.ErrDomainInvalid.On("host").With(err)
	}
	if slices.ContainsFunc(f.cfg.Federation.Allowlist, func(r string) bool { return strings.EqualFold(r, h) }) {
		return spaces.ErrHostConfigured.With(fmt.Errorf("%s is in the configuration's allowlist", h))
	}
	defer f.forgetBlocks()
	if err := f.store.DeleteAllowedHost(ctx, h); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return spaces.ErrHostNotAllowed.With(err)
		}
		return err
	}
	return nil
}

package spaces

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// NodeSettings are the node's own settings an admin changes at runtime. The
// configuration gives their first values; what an admin saves is kept in the
// database and wins. Every rule and door that needs one reads it here.
type NodeSettings struct {
	Name          string
	Description   string
	Registrations string // closed, invite or open
	DefaultLocale string // fr, en or de
}

// RegistrationModes are the registration policies a node may have.
var RegistrationModes = []string{RegistrationsClosed, RegistrationsInvite, RegistrationsOpen}

// Names of the settings in the database.
const (
	settingName          = "name"
	settingDescription   = "description"
	settingRegistrations = "registrations"
	settingDefaultLocale = "default_locale"
)

// Bounds of the node's name and description, in characters.
const (
	maxNodeName        = 100
	maxNodeDescription = 2000
)

// settingsTTL is how long the settings are kept in memory. A change made in
// this process is seen at once; one made by another process within settingsTTL.
const settingsTTL = 2 * time.Second

// settingsCache holds the settings last read.
type settingsCache struct {
	mu  sync.Mutex
	at  time.Time
	val NodeSettings
}

// configured are the settings as the configuration gives them.
func (s *Service) configured() NodeSettings {
	return NodeSettings{Name: s.opts.NodeName, Description: s.opts.NodeDescription,
		Registrations: s.opts.Registrations, DefaultLocale: s.opts.DefaultLocale}
}

// NodeSettings returns the node's settings: the configuration's, overridden by
// what admins saved. Anyone may read them (they are public in NodeInfo).
func (s *Service) NodeSettings(ctx context.Context) (NodeSettings, error) {
	c := &s.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < settingsTTL {
		return c.val, nil
	}
	saved, err := s.db.NodeSettings(ctx)
	if err != nil {
		return s.configured(), internal("node settings", err)
	}
	v := s.configured()
	if x, ok := saved[settingName]; ok {
		v.Name = x
	}
	if x, ok := saved[settingDescription]; ok {
		v.Description = x
	}
	if x, ok := saved[settingRegistrations]; ok && slices.Contains(RegistrationModes, x) {
		v.Registrations = x
	}
	if x, ok := saved[settingDefaultLocale]; ok && slices.Contains(Locales, x) {
		v.DefaultLocale = x
	}
	c.val, c.at = v, time.Now()
	return v, nil
}

// ManagedNodeSettings returns the node's settings for the admin who changes
// them. Admins only.
func (s *Service) ManagedNodeSettings(ctx context.Context, by *Account) (NodeSettings, error) {
	if !isAdmin(by) {
		return NodeSettings{}, forbidden("admin_only", "only an admin may change the node's settings")
	}
	return s.NodeSettings(ctx)
}

// UpdateNodeSettings checks and saves the node's settings. Admins only. Bad
// input changes nothing.
func (s *Service) UpdateNodeSettings(ctx context.Context, by *Account, in NodeSettings) (NodeSettings, error) {
	if !isAdmin(by) {
		return NodeSettings{}, forbidden("admin_only", "only an admin may change the node's settings")
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	if in.Name == "" {
		return NodeSettings{}, invalid("node_name", "node_name_required", "give the node a name")
	}
	if err := checkText("node_name", in.Name, maxNodeName, false); err != nil {
		return NodeSettings{}, err
	}
	if err := checkText("node_description", in.Description, maxNodeDescription, true); err != nil {
		return NodeSettings{}, err
	}
	if !slices.Contains(RegistrationModes, in.Registrations) {
		return NodeSettings{}, invalid("registrations", "registrations_invalid", "registrations must be closed, invite or open")
	}
	if !slices.Contains(Locales, in.DefaultLocale) {
		return NodeSettings{}, invalid("default_locale", "locale_invalid", "the language must be one of fr, en, de")
	}
	err := s.db.SaveNodeSettings(ctx, map[string]string{
		settingName: in.Name, settingDescription: in.Description,
		settingRegistrations: in.Registrations, settingDefaultLocale: in.DefaultLocale,
	}, s.now())
	s.settings.mu.Lock()
	s.settings.at = time.Time{}
	s.settings.mu.Unlock()
	if err != nil {
		return NodeSettings{}, internal("save node settings", err)
	}
	return s.NodeSettings(ctx)
}

// defaultLocale is the node's default language now, for rules that need one.
func (s *Service) defaultLocale(ctx context.Context) string {
	v, _ := s.NodeSettings(ctx) // on a failure, the configured one
	return v.DefaultLocale
}

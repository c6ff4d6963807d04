package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// NodeSetting is one setting of the node, as an admin set it; it overrides
// the configuration's value.
type NodeSetting struct {
	bun.BaseModel `bun:"table:node_settings"`

	Name      string `bun:",pk"`
	Value     string
	UpdatedAt time.Time
}

// NodeSettings returns the settings admins set, by name.
func (d *DB) NodeSettings(ctx context.Context) (map[string]string, error) {
	var rows []NodeSetting
	if err := d.q(ctx).NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, wrap(err, "node settings")
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Value
	}
	return out, nil
}

// SaveNodeSettings writes settings, replacing their former values.
func (d *DB) SaveNodeSettings(ctx context.Context, settings map[string]string, now time.Time) error {
	if len(settings) == 0 {
		return nil
	}
	rows := make([]NodeSetting, 0, len(settings))
	for name, value := range settings {
		rows = append(rows, NodeSetting{Name: name, Value: value, UpdatedAt: now})
	}
	_, err := d.q(ctx).NewInsert().Model(&rows).
		On("CONFLICT (name) DO UPDATE").
		Set("value = EXCLUDED.value").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return wrap(err, "save node settings")
}

// AddNodeSetting stores a setting unless it exists already: of two processes
// making the same one at once, the first wins and both read its value.
func (d *DB) AddNodeSetting(ctx context.Context, name, value string, now time.Time) error {
	_, err := d.q(ctx).NewInsert().Model(&NodeSetting{Name: name, Value: value, UpdatedAt: now}).
		On("CONFLICT (name) DO NOTHING").Exec(ctx)
	return wrap(err, "add node setting")
}

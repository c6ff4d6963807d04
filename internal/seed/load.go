package seed

import (
	"context"
	"fmt"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Load rebuilds the corpus of a database Seed filled earlier, so that a
// benchmark can measure it again without seeding it anew. Joined holds each
// member's active memberships (owned spaces included).
func Load(ctx context.Context, d *db.DB) (*Corpus, error) {
	c := &Corpus{Joined: map[string][]string{}, Words: Words}
	var members []*spaces.Account
	err := d.Bun().NewSelect().Model(&members).Relation("User").
		Where("account.type = ?", spaces.TypePerson).Where("account.domain = ''").OrderExpr("account.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	c.Members = members
	if err := d.Bun().NewSelect().Table("accounts").Column("username").
		Where("type = ?", spaces.TypeGroup).Where("domain = ''").OrderExpr("id").Scan(ctx, &c.Spaces); err != nil {
		return nil, fmt.Errorf("load spaces: %w", err)
	}
	rows, err := d.Bun().QueryContext(ctx, `SELECT m.account_id, a.username FROM space_members AS m
JOIN accounts AS a ON a.id = m.space_id WHERE m.state = 'active' ORDER BY m.account_id, a.username`)
	if err != nil {
		return nil, fmt.Errorf("load memberships: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var member, slug string
		if err := rows.Scan(&member, &slug); err != nil {
			return nil, err
		}
		c.Joined[member] = append(c.Joined[member], slug)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := d.Bun().NewSelect().Table("posts").Column("id").
		Where("in_reply_to_id IS NULL").OrderExpr("id").Scan(ctx, &c.Posts); err != nil {
		return nil, fmt.Errorf("load posts: %w", err)
	}
	if len(c.Members) == 0 || len(c.Posts) == 0 {
		return nil, fmt.Errorf("the database holds no seeded corpus")
	}
	return c, nil
}

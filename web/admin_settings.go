package web

import (
	"net/http"

	"github.com/ruche-social/ruche/spaces"
)

type nodeSettingsView struct {
	Registrations []string
	Locales       []string
}

var nodeSettingsFields = []string{"node_name", "node_description", "registrations", "default_locale"}

// adminSettings: GET /admin/settings — the node's name, description,
// registrations and default language. Admins only (the domain says so).
func (w *Web) adminSettings(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	set, err := w.spaces.ManagedNodeSettings(r.Context(), rq.viewer)
	if err != nil {
		return err
	}
	f := newForm(nil, nodeSettingsFields...)
	f.Values.Set("node_name", set.Name)
	f.Values.Set("node_description", set.Description)
	f.Values.Set("registrations", set.Registrations)
	f.Values.Set("default_locale", set.DefaultLocale)
	w.renderForm(rw, r, rq, http.StatusOK, "admin_settings", rq.cat.T("admin.settings.title"), f, w.nodeSettingsView())
	return nil
}

func (w *Web) nodeSettingsView() nodeSettingsView {
	return nodeSettingsView{Registrations: spaces.RegistrationModes, Locales: Locales}
}

// adminSaveSettings: POST /admin/settings.
func (w *Web) adminSaveSettings(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	f := newForm(r, nodeSettingsFields...)
	_, err := w.spaces.UpdateNodeSettings(r.Context(), rq.viewer, spaces.NodeSettings{
		Name: f.Value("node_name"), Description: f.Value("node_description"),
		Registrations: f.Value("registrations"), DefaultLocale: f.Value("default_locale"),
	})
	if err != nil {
		return w.formError(rw, r, rq, err, f, "admin_settings", rq.cat.T("admin.settings.title"), w.nodeSettingsView())
	}
	w.setFlash(rw, "flash.node_settings_saved")
	return redirect(rw, r, "/admin/settings")
}

package web

import (
	"net/http"

	"github.com/ruche-social/ruche/spaces"
)

type notificationsView struct {
	List   []*spaces.Notification
	Newest string // the id of the newest shown: "mark read" marks up to it
	More   string
}

// notifications: GET /notifications?before= — what happened that concerns
// the member, newest first, the unread ones marked.
func (w *Web) notifications(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	list, err := w.spaces.Notifications(r.Context(), me, spaces.NotificationPage{Before: r.URL.Query().Get("before"), Limit: 50})
	if err != nil {
		return err
	}
	view := notificationsView{List: list}
	if len(list) > 0 {
		view.Newest = list[0].ID
	}
	if len(list) == 50 {
		view.More = nextPage(r, "before", list[len(list)-1].ID)
	}
	w.render(rw, r, rq, http.StatusOK, "notifications", rq.cat.T("notifications.title"), view)
	return nil
}

// markRead: POST /notifications/read — every notification up to the newest
// the page showed (one that arrived since stays unread).
func (w *Web) markRead(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	if _, err := w.spaces.MarkNotificationsRead(r.Context(), me, nil, r.PostForm.Get("up_to")); err != nil {
		return err
	}
	w.setFlash(rw, "flash.notifications_read")
	return redirect(rw, r, "/notifications")
}

package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// onboardingStep is one page of the guided start a member sees after their
// first sign-in. Steps are a list so that more can be added (suggested spaces
// when spaces land): each names its template section and catalogue keys
// (onboarding.<Name>.…), the fields it shows, and what it saves.
type onboardingStep struct {
	Name   string
	fields []string
	fill   func(f *form, me *spaces.Account)                       // put the member's current values in the form
	save   func(w *Web, r *http.Request, me *spaces.Account) error // nil: nothing to save
	// load, if set, gives the step's page what it shows besides its form.
	load func(w *Web, r *http.Request, rq *request) (any, error)
}

func onboardingSteps() []onboardingStep {
	saveProfile := func(w *Web, r *http.Request, me *spaces.Account) error {
		_, err := w.spaces.UpdateProfile(r.Context(), me, profileUpdate(r))
		return err
	}
	return []onboardingStep{
		{
			Name:   "profile",
			fields: []string{"display_name", "bio"},
			fill: func(f *form, me *spaces.Account) {
				f.Values.Set("display_name", me.DisplayName)
				f.Values.Set("bio", me.Bio)
			},
			save: saveProfile,
		},
		{
			Name:   "language",
			fields: []string{"locale"},
			fill:   func(f *form, me *spaces.Account) { f.Values.Set("locale", me.User.Locale) },
			save:   saveProfile,
		},
		{
			// Three spaces to start with: public ones, in the member's
			// language first, then the busiest (spaces.SuggestedSpaces).
			Name: "spaces",
			load: func(w *Web, r *http.Request, rq *request) (any, error) {
				list, err := w.spaces.SuggestedSpaces(r.Context(), rq.viewer, 3)
				if err != nil {
					return nil, err
				}
				joined, err := w.spaces.ListSpaces(r.Context(), rq.viewer, spaces.SpaceFilter{Joined: true, Limit: 10})
				if err != nil {
					return nil, err
				}
				suggested, err := w.spaceCards(r, rq, list)
				if err != nil {
					return nil, err
				}
				mine, err := w.spaceCards(r, rq, joined)
				return onboardingSpaces{Suggested: suggested, Joined: mine}, err
			},
		},
		{Name: "follow"},
	}
}

type onboardingView struct {
	Step  onboardingStep
	Steps []onboardingStep
	Index int // of Step, from 0
	Last  bool
	Extra any // what the step's load gave
}

// onboardingSpaces is what the spaces step shows.
type onboardingSpaces struct {
	Suggested []spaceCard
	Joined    []spaceCard
}

// Number is the step's position for people, from 1.
func (v onboardingView) Number() int { return v.Index + 1 }

func (w *Web) onboardingStep(name string) (int, bool) {
	for i, s := range w.onboard {
		if s.Name == name {
			return i, true
		}
	}
	return 0, false
}

// onboardingStart: GET /onboarding — the first step.
func (w *Web) onboardingStart(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	return redirect(rw, r, "/onboarding/"+w.onboard[0].Name)
}

func (w *Web) onboardingView(i int) onboardingView {
	return onboardingView{Step: w.onboard[i], Steps: w.onboard, Index: i, Last: i == len(w.onboard)-1}
}

func (w *Web) onboardingTitle(rq *request, i int) string {
	return rq.cat.T("onboarding.title", "step", i+1, "total", len(w.onboard))
}

// onboardingForm: GET /onboarding/{step}.
func (w *Web) onboardingForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	i, found := w.onboardingStep(mux.Vars(r)["step"])
	if !found {
		return errNotFound
	}
	step := w.onboard[i]
	f := newForm(nil, step.fields...)
	if step.fill != nil {
		step.fill(f, me)
	}
	view := w.onboardingView(i)
	if step.load != nil {
		var err error
		if view.Extra, err = step.load(w, r, rq); err != nil {
			return err
		}
	}
	w.renderForm(rw, r, rq, http.StatusOK, "onboarding", w.onboardingTitle(rq, i), f, view)
	return nil
}

// onboardingSave: POST /onboarding/{step} — save the step and go on; after the
// last one the onboarding is complete.
func (w *Web) onboardingSave(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	i, found := w.onboardingStep(mux.Vars(r)["step"])
	if !found {
		return errNotFound
	}
	step := w.onboard[i]
	if step.save != nil {
		if err := step.save(w, r, me); err != nil {
			return w.formError(rw, r, rq, err, newForm(r, step.fields...), "onboarding", w.onboardingTitle(rq, i), w.onboardingView(i))
		}
	}
	if i+1 < len(w.onboard) {
		return redirect(rw, r, "/onboarding/"+w.onboard[i+1].Name)
	}
	return w.onboardingFinish(rw, r, rq)
}

// onboardingFinish: POST /onboarding/finish — done, or skipped: either way the
// member is not led here again.
func (w *Web) onboardingFinish(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	if _, err := w.spaces.CompleteOnboarding(r.Context(), me); err != nil {
		return err
	}
	w.setFlash(rw, "flash.onboarding_done")
	return redirect(rw, r, "/")
}

package mastodon

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody bounds a request's parameters (files go through /api/v2/media);
// maxAvatarBody the profile update, which may carry a picture.
const (
	maxBody       = 1 << 20
	maxAvatarBody = 16 << 20
)

// params are a request's parameters as Mastodon reads them: from the query,
// and from a form or a JSON body. JSON is flattened to the keys a Rails form
// would use ("media_ids[]", "poll[options][]", "poll[expires_in]"), so every
// handler reads one shape whatever the app sent.
type params url.Values

// readParams reads r's parameters, from a body of at most maxBody bytes.
func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	return readParamsLimit(w, r, maxBody)
}

// readParamsLimit is readParams with another bound on the body; the files of
// a multipart body stay in r.MultipartForm.
func readParamsLimit(w http.ResponseWriter, r *http.Request, limit int64) (params, error) {
	p := params(url.Values{})
	for k, vs := range r.URL.Query() {
		p[k] = append(p[k], vs...)
	}
	if r.Body == nil || r.ContentLength == 0 {
		return p, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(w, r.Body, limit)
	switch mt {
	case "application/json":
		var v any
		if err := json.NewDecoder(body).Decode(&v); err != nil {
			return nil, bodyError(err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, errStatus(http.StatusBadRequest, "The body must be a JSON object")
		}
		flatten(p, "", obj)
	case "application/x-www-form-urlencoded":
		r.Body = body
		if err := r.ParseForm(); err != nil {
			return nil, bodyError(err)
		}
		for k, vs := range r.PostForm {
			p[k] = append(p[k], vs...)
		}
	case "multipart/form-data":
		r.Body = body
		if err := r.ParseMultipartForm(limit); err != nil {
			return nil, bodyError(err)
		}
		for k, vs := range r.MultipartForm.Value {
			p[k] = append(p[k], vs...)
		}
	}
	return p, nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errStatus(http.StatusRequestEntityTooLarge, "The request body is too large")
	}
	return errStatus(http.StatusBadRequest, "The request body is malformed: "+err.Error())
}

// flatten adds a JSON value under key: objects as key[field], arrays as
// key[], scalars as their text.
func flatten(p params, key string, v any) {
	sub := func(k string) string {
		if key == "" {
			return k
		}
		return key + "[" + k + "]"
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			flatten(p, sub(k), x)
		}
	case []any:
		for _, x := range v {
			flatten(p, key+"[]", x)
		}
	case nil:
	case string:
		p[key] = append(p[key], v)
	case bool:
		p[key] = append(p[key], strconv.FormatBool(v))
	case float64:
		p[key] = append(p[key], strconv.FormatFloat(v, 'f', -1, 64))
	default:
		p[key] = append(p[key], fmt.Sprint(v))
	}
}

// get is the first value of key.
func (p params) get(key string) string {
	if vs := p[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// list is every value of key[] (or of key, as some apps send it).
func (p params) list(key string) []string {
	if vs := p[key+"[]"]; len(vs) > 0 {
		return vs
	}
	return p[key]
}

// has tells whether key was sent at all.
func (p params) has(key string) bool { _, ok := p[key]; return ok }

// bool reads a Rails boolean ("true", "1", "on"; anything else false).
func (p params) bool(key string) bool {
	switch strings.ToLower(p.get(key)) {
	case "true", "1", "on", "t", "yes":
		return true
	}
	return false
}

// int reads a number, def when absent; a malformed number is an error.
func (p params) int(key string, def int) (int, error) {
	s := p.get(key)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errStatus(http.StatusUnprocessableEntity, "Validation failed: "+key+" must be a number")
	}
	return n, nil
}

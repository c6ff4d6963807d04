package activitystreams

import "strings"

// DocumentFile is what makes an object a document of a space (Ruche): its
// current file and its place. The object is typed ["Document", "Page"]:
// Ruche and every reader of ActivityStreams take it as the Document it is;
// Mastodon, which drops a Document but converts a Page (its name and a
// link to its url, the text/html one), shows it to its users as a post
// that names the file and links to its page. Its url holds that page
// (text/html) and the file (a Link with the file's mediaType); the file is
// also its attachment, which Mastodon-family servers offer for download.
type DocumentFile struct {
	URL       string // the current version's file
	MediaType string
	Size      int64
	Name      string // the file's name as uploaded (the object's name is the document's)
	Folder    string // folder names joined by "/"; "" at the top
	Version   int    // the current version's number, from 1
}

// setDocument writes a document's type, url, file and place.
func setDocument(m map[string]any, o Object) {
	d := o.File
	m["type"] = []any{"Document", "Page"}
	m["mediaType"] = d.MediaType
	links := []any{}
	if o.URL != "" {
		links = append(links, map[string]any{"type": "Link", "href": o.URL, "mediaType": "text/html"})
	}
	links = append(links, map[string]any{"type": "Link", "href": d.URL, "mediaType": d.MediaType})
	m["url"] = links
	file := map[string]any{"type": "Document", "mediaType": d.MediaType, "url": d.URL, "name": d.Name}
	if d.Size > 0 {
		file["size"] = d.Size
	}
	m["attachment"] = []any{file}
	m["documentFolder"] = d.Folder
	m["documentVersion"] = d.Version
}

// documentOf reads the file and place of a Document: the file is the url
// Link that is not the text/html page, else the first attachment. Nil for
// an object without a file.
func documentOf(m map[string]any) *DocumentFile {
	d := &DocumentFile{Version: countOf(m["documentVersion"])}
	if d.Version < 1 {
		d.Version = 1
	}
	folder, _ := m["documentFolder"].(string)
	d.Folder = PlainLine(folder)
	for _, it := range listOf(m["url"]) {
		l, ok := it.(map[string]any)
		if !ok {
			continue
		}
		mt, _ := l["mediaType"].(string)
		if href := IRIOf(l["href"]); href != "" && mt != "" && !strings.HasPrefix(mt, "text/html") {
			d.URL, d.MediaType = href, mt
			break
		}
	}
	files := attachmentsOf(m["attachment"])
	if d.URL == "" && len(files) > 0 {
		d.URL, d.MediaType = files[0].URL, files[0].MediaType
	}
	for _, f := range files {
		if f.URL == d.URL {
			d.Name = f.Name
		}
	}
	if raw, ok := m["attachment"].([]any); ok && len(raw) > 0 {
		if f, ok := raw[0].(map[string]any); ok {
			d.Size = int64(countOf(f["size"]))
		}
	}
	if d.URL == "" {
		return nil
	}
	if d.MediaType == "" {
		d.MediaType = "application/octet-stream"
	}
	return d
}

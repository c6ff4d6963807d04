package web

import "testing"

func TestShortName(t *testing.T) {
	for name, want := range map[string]string{
		"Ruche":                      "Ruche",
		"Ville de Lyon":              "Ville de", // 13 characters: cut at a word
		"Réseau des agents de Lyon":  "Réseau des",
		"Mairie – services internes": "Mairie",
		"Intercommunalité du Rhône":  "Intercommunalité du Rhône", // no word fits: the launcher shortens it
		"Région Île-de-France":       "Région",
	} {
		if got := shortName(name); got != want {
			t.Errorf("shortName(%q) = %q, want %q", name, got, want)
		}
	}
}

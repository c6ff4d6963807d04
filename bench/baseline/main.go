// Command baseline is the bare net/http server the harness measures Ruche
// against: it answers /readyz and reads request bodies, and does nothing else.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address")
	flag.Parse()
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusAccepted)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// raftexample-codec is the Go side of raftwire's differential tests of the raftexample codecs: the
// gob encoding of contrib/raftexample's kv{Key, Val string} and the JSON of its snapshots
// (json.Marshal / json.Unmarshal of a map[string]string), exactly as raftexample calls them.
//
// It reads one request per line on stdin and answers one JSON line each on stdout:
//
//	gob-decode <hex>           a fresh gob.Decoder decoding into a kv: {"ok","error","key","val"}
//	gob-encode <keyhex> <valhex>  a fresh gob.Encoder's bytes for kv{key, val}: {"ok","hex"}
//	json-marshal <hex>         json.Marshal of the map given as a JSON array of [keyhex, valhex]
//	                           pairs (later pairs overwrite earlier ones): {"ok","hex"}
//	json-unmarshal <hex>       json.Unmarshal into a map[string]string: {"ok","error","nil","pairs"}
//	                           with pairs sorted by key, as [keyhex, valhex]
//	parse-uint <hex>           strconv.ParseUint(s, 0, 64), as raftexample parses IDs: {"ok","value"}
//	sniff <hex>                http.DetectContentType: {"ok","ct"}
//
// Byte strings travel as lowercase hex ("-" for an empty one) so any bytes survive.
package main

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
)

// kv is raftexample's proposal type (contrib/raftexample/kvstore.go), same name and fields.
type kv struct {
	Key string
	Val string
}

type obj = map[string]interface{}

func unhex(s string) []byte {
	if s == "-" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func gobDecode(data []byte) (out obj) {
	defer func() {
		if r := recover(); r != nil {
			out = obj{"ok": false, "error": fmt.Sprintf("panic: %v", r)}
		}
	}()
	var v kv
	if err := gob.NewDecoder(bytes.NewBuffer(data)).Decode(&v); err != nil {
		return obj{"ok": false, "error": err.Error()}
	}
	return obj{"ok": true, "key": hex.EncodeToString([]byte(v.Key)), "val": hex.EncodeToString([]byte(v.Val))}
}

func gobEncode(key, val []byte) obj {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(kv{string(key), string(val)}); err != nil {
		return obj{"ok": false, "error": err.Error()}
	}
	return obj{"ok": true, "hex": hex.EncodeToString(buf.Bytes())}
}

func jsonMarshal(pairsJSON []byte) obj {
	var pairs [][2]string
	if err := json.Unmarshal(pairsJSON, &pairs); err != nil {
		panic(err)
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[string(unhex(p[0]))] = string(unhex(p[1]))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return obj{"ok": false, "error": err.Error()}
	}
	return obj{"ok": true, "hex": hex.EncodeToString(b)}
}

func jsonUnmarshal(data []byte) (out obj) {
	defer func() {
		if r := recover(); r != nil {
			out = obj{"ok": false, "error": fmt.Sprintf("panic: %v", r)}
		}
	}()
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return obj{"ok": false, "error": err.Error()}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([][2]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, [2]string{hex.EncodeToString([]byte(k)), hex.EncodeToString([]byte(m[k]))})
	}
	return obj{"ok": true, "nil": m == nil, "pairs": pairs}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		var res obj
		switch f[0] {
		case "gob-decode":
			res = gobDecode(unhex(f[1]))
		case "gob-encode":
			res = gobEncode(unhex(f[1]), unhex(f[2]))
		case "json-marshal":
			res = jsonMarshal(unhex(f[1]))
		case "json-unmarshal":
			res = jsonUnmarshal(unhex(f[1]))
		case "parse-uint":
			if v, err := strconv.ParseUint(string(unhex(f[1])), 0, 64); err != nil {
				res = obj{"ok": false, "error": err.Error()}
			} else {
				res = obj{"ok": true, "value": strconv.FormatUint(v, 10)}
			}
		case "sniff":
			res = obj{"ok": true, "ct": http.DetectContentType(unhex(f[1]))}
		default:
			fmt.Fprintf(os.Stderr, "raftexample-codec: unknown request %q\n", f[0])
			os.Exit(2)
		}
		if err := enc.Encode(res); err != nil {
			panic(err)
		}
		if err := out.Flush(); err != nil {
			panic(err)
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}

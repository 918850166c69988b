package parquetio

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/xitongsys/parquet-go/parquet"

	"github.com/mxverify/mxverify/io/rowio"
)

// The library holds values as interfaces of one Go type per physical type:
// bool, int32, int64, float32, float64, and string for INT96 (12 bytes),
// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.

// decodeFunc turns one non-null leaf value, as the library holds it, into
// the Go value rowio.Row documents.
type decodeFunc func(v any) (any, error)

// encodeFunc is the inverse of decodeFunc for one output column; x is never
// nil.
type encodeFunc func(x any) (any, error)

// julianUnixEpoch is the Julian day number of 1970-01-01, the origin of the
// INT96 timestamps that Impala, Hive and old Spark versions write.
const julianUnixEpoch = 2440588

const secondsPerDay = 86400

var errValue = errors.New("value of the wrong type for its column")

func wrongValue(v any, e *parquet.SchemaElement) error {
	return fmt.Errorf("%w: %T for %s", errValue, v, physicalName(e))
}

func decoderOf(f *Field) decodeFunc {
	e, lt := f.elem, f.logical
	switch *e.Type {
	case parquet.Type_BOOLEAN:
		return func(v any) (any, error) {
			if _, ok := v.(bool); ok {
				return v, nil
			}
			return nil, wrongValue(v, e)
		}
	case parquet.Type_INT32:
		var conv func(int32) any
		switch lt.kind {
		case lDate:
			conv = func(n int32) any { return timeOr(time.Unix(int64(n)*secondsPerDay, 0).UTC(), n) }
		case lTime:
			conv = func(n int32) any { return dayTimeOr(time.UnixMilli(int64(n)).UTC(), n) }
		case lInt:
			if !lt.signed {
				// An int32 cannot hold UINT_32 values above 2^31.
				conv = func(n int32) any { return int64(uint32(n)) }
			}
		case lDecimal:
			scale := lt.scale
			conv = func(n int32) any { return json.Number(formatDecimal(big.NewInt(int64(n)), scale)) }
		}
		return func(v any) (any, error) {
			n, ok := v.(int32)
			if !ok {
				return nil, wrongValue(v, e)
			}
			if conv == nil {
				return v, nil // no copy: the interface already holds an int32
			}
			return conv(n), nil
		}
	case parquet.Type_INT64:
		var conv func(int64) any
		switch lt.kind {
		case lTimestamp, lTime:
			switch lt.unit {
			case unitMillis:
				conv = func(n int64) any { return timeOr(time.UnixMilli(n).UTC(), n) }
			case unitMicros:
				conv = func(n int64) any { return timeOr(time.UnixMicro(n).UTC(), n) }
			default:
				conv = func(n int64) any { return timeOr(time.Unix(0, n).UTC(), n) }
			}
			if lt.kind == lTime {
				stamp := conv
				conv = func(n int64) any {
					if t, ok := stamp(n).(time.Time); ok {
						return dayTimeOr(t, n)
					}
					return n
				}
			}
		case lInt:
			if !lt.signed {
				// UINT_64 may exceed int64; json.Number keeps every value
				// exact and still prints as a plain number.
				conv = func(n int64) any { return json.Number(strconv.FormatUint(uint64(n), 10)) }
			}
		case lDecimal:
			scale := lt.scale
			conv = func(n int64) any { return json.Number(formatDecimal(big.NewInt(n), scale)) }
		}
		return func(v any) (any, error) {
			n, ok := v.(int64)
			if !ok {
				return nil, wrongValue(v, e)
			}
			if conv == nil {
				return v, nil
			}
			return conv(n), nil
		}
	case parquet.Type_INT96:
		return func(v any) (any, error) {
			s, ok := v.(string)
			if !ok || len(s) != 12 {
				return nil, wrongValue(v, e)
			}
			return int96Time(s), nil
		}
	case parquet.Type_FLOAT:
		return func(v any) (any, error) {
			if _, ok := v.(float32); ok {
				return v, nil
			}
			return nil, wrongValue(v, e)
		}
	case parquet.Type_DOUBLE:
		return func(v any) (any, error) {
			if _, ok := v.(float64); ok {
				return v, nil
			}
			return nil, wrongValue(v, e)
		}
	}
	// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
	var conv func(string) any
	switch {
	case rawBytes(f):
		// Never nil, so that an empty value stays distinct from null.
		conv = func(s string) any { return []byte(s) }
	case lt.kind == lUUID:
		conv = func(s string) any { return formatUUID([]byte(s)) }
	case lt.kind == lDecimal:
		scale := lt.scale
		conv = func(s string) any { return json.Number(formatDecimal(twosComplement([]byte(s)), scale)) }
	}
	return func(v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, wrongValue(v, e)
		}
		if conv == nil {
			return v, nil
		}
		return conv(s), nil
	}
}

// rawBytes reports whether a leaf's values are bytes that no annotation
// makes text, a UUID or a number: decoderOf gives them as []byte, which
// JSON carries as base64 and a map key as the bytes themselves.
func rawBytes(f *Field) bool {
	if t := f.elem.Type; t == nil || *t != parquet.Type_BYTE_ARRAY && *t != parquet.Type_FIXED_LEN_BYTE_ARRAY {
		return false
	}
	switch f.logical.kind {
	case lString, lEnum, lJSON, lUUID, lDecimal:
		return false
	}
	return true
}

// timeOr is t, or the stored count when t falls outside the years 0000 to
// 9999: RFC 3339 text, which CSV, JSONL and nested values carry times
// as, cannot write such a year, and the count still writes back exactly.
func timeOr[N int32 | int64](t time.Time, n N) any {
	if y := t.Year(); y < 0 || y > 9999 {
		return n
	}
	return t
}

// dayTimeOr is t for a TIME value, or the stored count when it is not a
// time of day (before midnight or past its end): written back, such a time
// would become another one.
func dayTimeOr[N int32 | int64](t time.Time, n N) any {
	if t.Year() != 1970 || t.YearDay() != 1 {
		return n
	}
	return t
}

// int96Time decodes the 12 bytes of an INT96 timestamp: nanoseconds of the
// day, then the Julian day, little-endian.
func int96Time(s string) time.Time {
	nanos := int64(binary.LittleEndian.Uint64([]byte(s[:8])))
	day := int64(binary.LittleEndian.Uint32([]byte(s[8:12]))) - julianUnixEpoch
	return time.Unix(day*secondsPerDay, nanos).UTC()
}

func timeInt96(t time.Time) string {
	secs := t.Unix()
	day := floorDiv(secs, secondsPerDay)
	nanos := uint64((secs-day*secondsPerDay)*int64(time.Second) + int64(t.Nanosecond()))
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], nanos)
	binary.LittleEndian.PutUint32(b[8:], uint32(day+julianUnixEpoch))
	return string(b[:])
}
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func formatUUID(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func parseUUID(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("invalid UUID %q", s)
	}
	return b, nil
}

// twosComplement decodes the big-endian two's complement integers that
// Parquet uses for byte-array decimals.
func twosComplement(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

// appendTwosComplement encodes x in exactly n bytes, or in as few as hold it
// when n is 0.
func appendTwosComplement(x *big.Int, n int) ([]byte, error) {
	if n == 0 {
		n = x.BitLen()/8 + 1
	}
	limit := new(big.Int).Lsh(big.NewInt(1), uint(8*n-1))
	if x.Cmp(limit) >= 0 || x.Cmp(new(big.Int).Neg(limit)) < 0 {
		return nil, fmt.Errorf("decimal %s does not fit in %d bytes", x, n)
	}
	u := x
	if x.Sign() < 0 {
		u = new(big.Int).Add(x, new(big.Int).Lsh(limit, 1))
	}
	return u.FillBytes(make([]byte, n)), nil
}

func formatDecimal(unscaled *big.Int, scale int32) string {
	digits := new(big.Int).Abs(unscaled).String()
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
	}
	if scale <= 0 {
		return sign + digits
	}
	if pad := int(scale) + 1 - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	cut := len(digits) - int(scale)
	return sign + digits[:cut] + "." + digits[cut:]
}

func parseDecimal(s string, scale int32) (*big.Int, error) {
	bad := fmt.Errorf("invalid decimal %q for scale %d", s, scale)
	digits := s
	if strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		digits = digits[1:]
	}
	whole, frac, _ := strings.Cut(digits, ".")
	if whole+frac == "" || strings.Trim(whole+frac, "0123456789") != "" {
		return nil, bad
	}
	scale = max(scale, 0)
	if frac = strings.TrimRight(frac, "0"); len(frac) > int(scale) {
		return nil, bad
	}
	x, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", int(scale)-len(frac)), 10)
	if !ok {
		return nil, bad
	}
	if strings.HasPrefix(s, "-") {
		x.Neg(x)
	}
	return x, nil
}

var (
	errType  = errors.New("unsupported value type")
	errRange = errors.New("value out of range")
)

func typeError(x any, e *parquet.SchemaElement) error {
	return fmt.Errorf("%w %T for Parquet type %s", errType, x, physicalName(e))
}

// toInt64 accepts the integer forms a row may carry, including the text of
// a CSV cell, so that lists can be written to typed columns.
func toInt64(x any) (int64, bool) {
	switch x := x.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toFloat64(x any) (float64, bool) {
	switch x := x.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func toTime(x any) (time.Time, bool) {
	switch x := x.(type) {
	case time.Time:
		return x, true
	case string:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x))
		return t, err == nil
	}
	return time.Time{}, false
}

func toDecimal(x any, scale int32) (*big.Int, error) {
	switch x := x.(type) {
	case json.Number:
		return parseDecimal(string(x), scale)
	case string:
		return parseDecimal(strings.TrimSpace(x), scale)
	}
	if n, ok := toInt64(x); ok {
		return parseDecimal(strconv.FormatInt(n, 10), scale)
	}
	return nil, fmt.Errorf("%w %T for a decimal", errType, x)
}

func int32Value(n int64, lo, hi int64) (any, error) {
	if n < lo || n > hi {
		return nil, fmt.Errorf("%w: %d not in [%d, %d]", errRange, n, lo, hi)
	}
	return int32(n), nil
}

func decimalValue(x *big.Int, t parquet.Type, length int) (any, error) {
	switch t {
	case parquet.Type_INT32, parquet.Type_INT64:
		if !x.IsInt64() {
			return nil, fmt.Errorf("%w: %s", errRange, x)
		}
		if t == parquet.Type_INT32 {
			return int32Value(x.Int64(), math.MinInt32, math.MaxInt32)
		}
		return x.Int64(), nil
	case parquet.Type_FIXED_LEN_BYTE_ARRAY:
		b, err := appendTwosComplement(x, length)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	b, err := appendTwosComplement(x, 0)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// sinceMidnight is the time of day of t in UTC.
func sinceMidnight(t time.Time) time.Duration {
	t = t.UTC()
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// encoderOf returns the encoder for a leaf of element e. Native values (the
// ones decoderOf produces) convert exactly; text is parsed as a convenience.
func encoderOf(e *parquet.SchemaElement) encodeFunc {
	lt := logicalOf(e)
	t := *e.Type
	if lt.kind == lDecimal {
		scale, length := lt.scale, int(e.GetTypeLength())
		return func(x any) (any, error) {
			u, err := toDecimal(x, scale)
			if err != nil {
				return nil, err
			}
			return decimalValue(u, t, length)
		}
	}
	switch t {
	case parquet.Type_BOOLEAN:
		return func(x any) (any, error) {
			switch x := x.(type) {
			case bool:
				return x, nil
			case string:
				if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
					return b, nil
				}
			}
			return nil, typeError(x, e)
		}
	case parquet.Type_INT32:
		switch lt.kind {
		case lDate:
			return func(x any) (any, error) {
				if tm, ok := toTime(x); ok {
					return int32Value(floorDiv(tm.Unix(), secondsPerDay), math.MinInt32, math.MaxInt32)
				}
				if n, ok := toInt64(x); ok {
					return int32Value(n, math.MinInt32, math.MaxInt32)
				}
				return nil, typeError(x, e)
			}
		case lTime:
			return func(x any) (any, error) {
				if tm, ok := toTime(x); ok {
					return int32(sinceMidnight(tm).Milliseconds()), nil
				}
				if n, ok := toInt64(x); ok {
					return int32Value(n, math.MinInt32, math.MaxInt32)
				}
				return nil, typeError(x, e)
			}
		case lInt:
			// INT(8), UINT(16) and the like are stored as int32; keep values
			// inside the declared width so other readers do not see them wrap.
			var lo, hi int64
			if w := min(max(int(lt.bitWidth), 1), 32); lt.signed {
				lo, hi = -(1 << (w - 1)), 1<<(w-1)-1
			} else {
				lo, hi = 0, 1<<w-1
			}
			return func(x any) (any, error) {
				n, ok := toInt64(x)
				if !ok {
					return nil, typeError(x, e)
				}
				if n < lo || n > hi {
					return nil, fmt.Errorf("%w: %d not in [%d, %d]", errRange, n, lo, hi)
				}
				// int32(n) keeps the low 32 bits, which is also how UINT(32)
				// values above 2^31 are stored.
				return int32(n), nil
			}
		}
		return func(x any) (any, error) {
			n, ok := toInt64(x)
			if !ok {
				return nil, typeError(x, e)
			}
			return int32Value(n, math.MinInt32, math.MaxInt32)
		}
	case parquet.Type_INT64:
		switch lt.kind {
		case lTimestamp, lTime:
			var unix func(time.Time) int64
			switch lt.unit {
			case unitMillis:
				unix = time.Time.UnixMilli
			case unitMicros:
				unix = time.Time.UnixMicro
			default:
				unix = time.Time.UnixNano
			}
			if lt.kind == lTime {
				unix = func(t time.Time) int64 {
					d := sinceMidnight(t)
					switch lt.unit {
					case unitMillis:
						return d.Milliseconds()
					case unitMicros:
						return d.Microseconds()
					}
					return d.Nanoseconds()
				}
			}
			return func(x any) (any, error) {
				if tm, ok := toTime(x); ok {
					return unix(tm), nil
				}
				if n, ok := toInt64(x); ok {
					return n, nil
				}
				return nil, typeError(x, e)
			}
		case lInt:
			if !lt.signed {
				return func(x any) (any, error) {
					var s string
					switch x := x.(type) {
					case json.Number:
						s = string(x)
					case string:
						s = strings.TrimSpace(x)
					default:
						n, ok := toInt64(x)
						if !ok || n < 0 {
							return nil, typeError(x, e)
						}
						return n, nil
					}
					u, err := strconv.ParseUint(s, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("%w: %q", errRange, s)
					}
					return int64(u), nil
				}
			}
		}
		return func(x any) (any, error) {
			if n, ok := toInt64(x); ok {
				return n, nil
			}
			return nil, typeError(x, e)
		}
	case parquet.Type_INT96:
		return func(x any) (any, error) {
			if tm, ok := toTime(x); ok {
				return timeInt96(tm), nil
			}
			return nil, typeError(x, e)
		}
	case parquet.Type_FLOAT:
		return func(x any) (any, error) {
			var s string
			switch x := x.(type) {
			case float32:
				return x, nil
			case json.Number:
				s = string(x)
			case string:
				s = strings.TrimSpace(x)
			default:
				if f, ok := toFloat64(x); ok {
					return float32(f), nil
				}
				return nil, typeError(x, e)
			}
			// Text is parsed as a float32 at once: through a float64 it
			// would be rounded twice, and could miss the float32 it was
			// printed from.
			f, err := strconv.ParseFloat(s, 32)
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("%w: %s for a float", errRange, s)
			}
			if err != nil {
				return nil, typeError(x, e)
			}
			return float32(f), nil
		}
	case parquet.Type_DOUBLE:
		return func(x any) (any, error) {
			if f, ok := toFloat64(x); ok {
				return f, nil
			}
			return nil, typeError(x, e)
		}
	case parquet.Type_BYTE_ARRAY:
		return textEncoder
	case parquet.Type_FIXED_LEN_BYTE_ARRAY:
		length := int(e.GetTypeLength())
		isUUID := lt.kind == lUUID
		return func(x any) (any, error) {
			var s string
			if str, ok := x.(string); ok && isUUID {
				b, err := parseUUID(str)
				if err != nil {
					return nil, err
				}
				s = string(b)
			} else {
				s = toText(x)
			}
			if len(s) != length {
				return nil, fmt.Errorf("%w: %d bytes for a %d-byte column", errRange, len(s), length)
			}
			return s, nil
		}
	}
	return func(x any) (any, error) { return nil, typeError(x, e) }
}

// toText renders x for a byte-array column. A string goes as it is: the
// library holds byte arrays as strings, so none is copied.
func toText(x any) string {
	switch x := x.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case json.RawMessage:
		return string(x)
	}
	return rowio.Text(x)
}

// textEncoder writes any value as text, for the string columns of lists
// without a Parquet source and for the columns a run adds.
func textEncoder(x any) (any, error) {
	if _, ok := x.(string); ok {
		return x, nil // no copy: the interface already holds the string
	}
	return toText(x), nil
}

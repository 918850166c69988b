package parquetio

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/mxverify/mxverify/io/rowio"
)

// decodeFunc turns one non-null leaf value into the Go value rowio.Row
// documents. It must copy bytes: parquet-go reuses its page buffers.
type decodeFunc func(parquet.Value) any

// encodeFunc is the inverse of decodeFunc for one output column; x is never
// nil.
type encodeFunc func(x any) (parquet.Value, error)

func logicalOf(t parquet.Type) format.LogicalTypeValue {
	if lt := t.LogicalType(); lt != nil {
		return lt.Value
	}
	return nil
}

// julianUnixEpoch is the Julian day number of 1970-01-01, the origin of the
// INT96 timestamps that Impala, Hive and old Spark versions write.
const julianUnixEpoch = 2440588

const secondsPerDay = 86400

func decoderOf(t parquet.Type) decodeFunc {
	lt := logicalOf(t)
	switch t.Kind() {
	case parquet.Boolean:
		return func(v parquet.Value) any { return v.Boolean() }
	case parquet.Int32:
		switch lt := lt.(type) {
		case *format.DateType:
			return func(v parquet.Value) any {
				return time.Unix(int64(v.Int32())*secondsPerDay, 0).UTC()
			}
		case *format.IntType:
			if !lt.IsSigned {
				// An int32 cannot hold UINT_32 values above 2^31.
				return func(v parquet.Value) any { return int64(uint32(v.Int32())) }
			}
		case *format.DecimalType:
			scale := lt.Scale
			return func(v parquet.Value) any {
				return json.Number(formatDecimal(big.NewInt(int64(v.Int32())), scale))
			}
		}
		return func(v parquet.Value) any { return v.Int32() }
	case parquet.Int64:
		switch lt := lt.(type) {
		case *format.TimestampType:
			switch lt.Unit.Value.(type) {
			case *format.MilliSeconds:
				return func(v parquet.Value) any { return time.UnixMilli(v.Int64()).UTC() }
			case *format.MicroSeconds:
				return func(v parquet.Value) any { return time.UnixMicro(v.Int64()).UTC() }
			case *format.NanoSeconds:
				return func(v parquet.Value) any { return time.Unix(0, v.Int64()).UTC() }
			}
		case *format.IntType:
			if !lt.IsSigned {
				// UINT_64 may exceed int64; json.Number keeps every value
				// exact and still prints as a plain number.
				return func(v parquet.Value) any {
					return json.Number(strconv.FormatUint(v.Uint64(), 10))
				}
			}
		case *format.DecimalType:
			scale := lt.Scale
			return func(v parquet.Value) any {
				return json.Number(formatDecimal(big.NewInt(v.Int64()), scale))
			}
		}
		return func(v parquet.Value) any { return v.Int64() }
	case parquet.Int96:
		return func(v parquet.Value) any { return int96Time(v.Int96()) }
	case parquet.Float:
		return func(v parquet.Value) any { return v.Float() }
	case parquet.Double:
		return func(v parquet.Value) any { return v.Double() }
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lt := lt.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return func(v parquet.Value) any { return string(v.ByteArray()) }
		case *format.UUIDType:
			return func(v parquet.Value) any { return formatUUID(v.ByteArray()) }
		case *format.DecimalType:
			scale := lt.Scale
			return func(v parquet.Value) any {
				return json.Number(formatDecimal(twosComplement(v.ByteArray()), scale))
			}
		}
		// Never nil, so that an empty value stays distinct from null.
		return func(v parquet.Value) any { return append([]byte{}, v.ByteArray()...) }
	}
	return func(v parquet.Value) any { return v.String() }
}

func int96Time(i deprecated.Int96) time.Time {
	nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
	day := int64(i[2]) - julianUnixEpoch
	return time.Unix(day*secondsPerDay, nanos).UTC()
}

func timeInt96(t time.Time) deprecated.Int96 {
	secs := t.Unix()
	day := floorDiv(secs, secondsPerDay)
	nanos := uint64((secs-day*secondsPerDay)*int64(time.Second) + int64(t.Nanosecond()))
	return deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day + julianUnixEpoch)}
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

func typeError(x any, t parquet.Type) error {
	return fmt.Errorf("%w %T for Parquet type %s", errType, x, t)
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

// toBytes renders x for a byte-array column. It copies caller bytes because
// rows are batched before parquet-go copies them into its own buffers.
func toBytes(x any) []byte {
	switch x := x.(type) {
	case []byte:
		return bytes.Clone(x)
	case json.RawMessage:
		return bytes.Clone(x)
	}
	return []byte(rowio.Text(x))
}

func int32Value(n int64, lo, hi int64) (parquet.Value, error) {
	if n < lo || n > hi {
		return parquet.Value{}, fmt.Errorf("%w: %d not in [%d, %d]", errRange, n, lo, hi)
	}
	return parquet.Int32Value(int32(n)), nil
}

func decimalValue(x *big.Int, kind parquet.Kind, length int) (parquet.Value, error) {
	switch kind {
	case parquet.Int32, parquet.Int64:
		if !x.IsInt64() {
			return parquet.Value{}, fmt.Errorf("%w: %s", errRange, x)
		}
		if kind == parquet.Int32 {
			return int32Value(x.Int64(), math.MinInt32, math.MaxInt32)
		}
		return parquet.Int64Value(x.Int64()), nil
	case parquet.FixedLenByteArray:
		b, err := appendTwosComplement(x, length)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.FixedLenByteArrayValue(b), nil
	}
	b, err := appendTwosComplement(x, 0)
	if err != nil {
		return parquet.Value{}, err
	}
	return parquet.ByteArrayValue(b), nil
}

// encoderOf returns the encoder for a leaf of type t. Native values (the
// ones decoderOf produces) convert exactly; text is parsed as a convenience.
func encoderOf(t parquet.Type) encodeFunc {
	lt := logicalOf(t)
	kind := t.Kind()
	if d, ok := lt.(*format.DecimalType); ok {
		scale, length := d.Scale, t.Length()
		return func(x any) (parquet.Value, error) {
			u, err := toDecimal(x, scale)
			if err != nil {
				return parquet.Value{}, err
			}
			return decimalValue(u, kind, length)
		}
	}
	switch kind {
	case parquet.Boolean:
		return func(x any) (parquet.Value, error) {
			switch x := x.(type) {
			case bool:
				return parquet.BooleanValue(x), nil
			case string:
				if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
					return parquet.BooleanValue(b), nil
				}
			}
			return parquet.Value{}, typeError(x, t)
		}
	case parquet.Int32:
		switch lt := lt.(type) {
		case *format.DateType:
			return func(x any) (parquet.Value, error) {
				if tm, ok := toTime(x); ok {
					return int32Value(floorDiv(tm.Unix(), secondsPerDay), math.MinInt32, math.MaxInt32)
				}
				if n, ok := toInt64(x); ok {
					return int32Value(n, math.MinInt32, math.MaxInt32)
				}
				return parquet.Value{}, typeError(x, t)
			}
		case *format.IntType:
			// INT(8), UINT(16) and the like are stored as int32; keep values
			// inside the declared width so other readers do not see them wrap.
			var lo, hi int64
			if w := min(max(int(lt.BitWidth), 1), 32); lt.IsSigned {
				lo, hi = -(1 << (w - 1)), 1<<(w-1)-1
			} else {
				lo, hi = 0, 1<<w-1
			}
			return func(x any) (parquet.Value, error) {
				n, ok := toInt64(x)
				if !ok {
					return parquet.Value{}, typeError(x, t)
				}
				// int32(n) keeps the low 32 bits, which is also how UINT(32)
				// values above 2^31 are stored.
				return int32Value(n, lo, hi)
			}
		}
		return func(x any) (parquet.Value, error) {
			n, ok := toInt64(x)
			if !ok {
				return parquet.Value{}, typeError(x, t)
			}
			return int32Value(n, math.MinInt32, math.MaxInt32)
		}
	case parquet.Int64:
		switch lt := lt.(type) {
		case *format.TimestampType:
			var unix func(time.Time) int64
			switch lt.Unit.Value.(type) {
			case *format.MilliSeconds:
				unix = time.Time.UnixMilli
			case *format.MicroSeconds:
				unix = time.Time.UnixMicro
			default:
				unix = time.Time.UnixNano
			}
			return func(x any) (parquet.Value, error) {
				if tm, ok := toTime(x); ok {
					return parquet.Int64Value(unix(tm)), nil
				}
				if n, ok := toInt64(x); ok {
					return parquet.Int64Value(n), nil
				}
				return parquet.Value{}, typeError(x, t)
			}
		case *format.IntType:
			if !lt.IsSigned {
				return func(x any) (parquet.Value, error) {
					var s string
					switch x := x.(type) {
					case json.Number:
						s = string(x)
					case string:
						s = strings.TrimSpace(x)
					default:
						n, ok := toInt64(x)
						if !ok || n < 0 {
							return parquet.Value{}, typeError(x, t)
						}
						return parquet.Int64Value(n), nil
					}
					u, err := strconv.ParseUint(s, 10, 64)
					if err != nil {
						return parquet.Value{}, fmt.Errorf("%w: %q", errRange, s)
					}
					return parquet.Int64Value(int64(u)), nil
				}
			}
		}
		return func(x any) (parquet.Value, error) {
			if n, ok := toInt64(x); ok {
				return parquet.Int64Value(n), nil
			}
			return parquet.Value{}, typeError(x, t)
		}
	case parquet.Int96:
		return func(x any) (parquet.Value, error) {
			if tm, ok := toTime(x); ok {
				return parquet.Int96Value(timeInt96(tm)), nil
			}
			return parquet.Value{}, typeError(x, t)
		}
	case parquet.Float:
		return func(x any) (parquet.Value, error) {
			if f, ok := x.(float32); ok {
				return parquet.FloatValue(f), nil
			}
			if f, ok := toFloat64(x); ok {
				return parquet.FloatValue(float32(f)), nil
			}
			return parquet.Value{}, typeError(x, t)
		}
	case parquet.Double:
		return func(x any) (parquet.Value, error) {
			if f, ok := toFloat64(x); ok {
				return parquet.DoubleValue(f), nil
			}
			return parquet.Value{}, typeError(x, t)
		}
	case parquet.ByteArray:
		return func(x any) (parquet.Value, error) {
			if s, ok := x.(string); ok {
				return parquet.ValueOf(s), nil // no copy: strings are immutable
			}
			return parquet.ByteArrayValue(toBytes(x)), nil
		}
	case parquet.FixedLenByteArray:
		length := t.Length()
		_, isUUID := lt.(*format.UUIDType)
		return func(x any) (parquet.Value, error) {
			var b []byte
			if s, ok := x.(string); ok && isUUID {
				var err error
				if b, err = parseUUID(s); err != nil {
					return parquet.Value{}, err
				}
			} else {
				b = toBytes(x)
			}
			if len(b) != length {
				return parquet.Value{}, fmt.Errorf("%w: %d bytes for a %d-byte column", errRange, len(b), length)
			}
			return parquet.FixedLenByteArrayValue(b), nil
		}
	}
	return func(x any) (parquet.Value, error) { return parquet.Value{}, typeError(x, t) }
}

// textEncoder writes any value as text, for the string columns of lists
// without a Parquet source and for the columns a run adds.
func textEncoder(x any) (parquet.Value, error) {
	if s, ok := x.(string); ok {
		return parquet.ValueOf(s), nil
	}
	return parquet.ByteArrayValue([]byte(rowio.Text(x))), nil
}

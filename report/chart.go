package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// Colours of the actions, the same in every chart and in the tables'
// swatches; dashes tell them apart too when printed in grey.
var actionStyle = map[triage.Action]struct {
	color  color.RGBA
	dashes []vg.Length
	hex    string
}{
	triage.Send:     {color.RGBA{0x2e, 0x7d, 0x32, 0xff}, nil, "#2e7d32"},
	triage.Suppress: {color.RGBA{0xc6, 0x28, 0x28, 0xff}, []vg.Length{vg.Points(6), vg.Points(3)}, "#c62828"},
	triage.Retry:    {color.RGBA{0xb2, 0x6a, 0x00, 0xff}, []vg.Length{vg.Points(2), vg.Points(2)}, "#b26a00"},
}

var statusColor = color.RGBA{0x45, 0x5a, 0x64, 0xff}

// newPlot is a plot in the page's sans-serif face. The Liberation metrics
// place the text; the page names fallbacks, since no font is embedded.
func newPlot() *plot.Plot {
	p := plot.New()
	sans := func(s *font.Font) { s.Variant = "Sans" }
	sans(&p.Title.TextStyle.Font)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		sans(&a.Label.TextStyle.Font)
		sans(&a.Tick.Label.Font)
		a.Tick.Label.Font.Size = vg.Points(9)
		a.Label.TextStyle.Font.Size = vg.Points(10)
	}
	sans(&p.Legend.TextStyle.Font)
	p.BackgroundColor = color.Transparent
	return p
}

// commaTicks are the default ticks at whole numbers only, labelled as the
// tables write numbers (1,234,567).
type commaTicks struct{}

func (commaTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value != math.Trunc(t.Value) {
			continue
		}
		if t.Label != "" {
			t.Label = Count(int64(t.Value))
		}
		out = append(out, t)
	}
	return out
}

// actionChart is a bar per action: the rows to send, suppress and retry.
func actionChart(d *Data) (template.HTML, error) {
	p := newPlot()
	p.Y.Min = 0
	p.Y.Tick.Marker = commaTicks{}
	p.Y.Label.Text = "rows"
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
		b, err := plotter.NewBarChart(plotter.Values{float64(d.RowsByAction[a])}, vg.Points(48))
		if err != nil {
			return "", err
		}
		b.XMin = float64(i)
		b.Color = actionStyle[a].color
		b.LineStyle.Width = 0
		p.Add(b)
	}
	p.NominalX(names...)
	p.Y.Max = max(p.Y.Max, 1)
	return svg(p, 3.6*vg.Inch, 2.2*vg.Inch, "Rows by action: a bar each for send, suppress and retry; the table below has the figures.")
}

// statusChart is a horizontal bar per status: the rows of each.
func statusChart(d *Data) (template.HTML, error) {
	p := newPlot()
	p.X.Min = 0
	p.X.Tick.Marker = commaTicks{}
	p.X.Label.Text = "rows"
	vals := make(plotter.Values, len(verify.Statuses))
	names := make([]string, len(verify.Statuses))
	// Bottom to top, so that the chart reads in the tables' order.
	for i, st := range verify.Statuses {
		j := len(verify.Statuses) - 1 - i
		vals[j] = float64(d.RowsByStatus[st])
		names[j] = string(st)
	}
	b, err := plotter.NewBarChart(vals, vg.Points(14))
	if err != nil {
		return "", err
	}
	b.Horizontal = true
	b.Color = statusColor
	b.LineStyle.Width = 0
	p.Add(b)
	p.NominalY(names...)
	p.X.Max = max(p.X.Max, 1)
	return svg(p, 5*vg.Inch, 2.8*vg.Inch, "Rows by status: a bar per status; the table below has the figures.")
}

// trendChart is a line per action over the runs of the trend.
func trendChart(d *Data) (template.HTML, error) {
	p := newPlot()
	p.Y.Min = 0
	p.Y.Tick.Marker = commaTicks{}
	p.Y.Label.Text = "rows"
	p.Legend.Top = true
	p.Legend.Left = true
	for _, a := range Actions {
		pts := make(plotter.XYs, len(d.Trend))
		for i, r := range d.Trend {
			pts[i] = plotter.XY{X: float64(i), Y: float64(r.RowsByAction[a])}
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", err
		}
		st := actionStyle[a]
		l.Color, l.Dashes, l.Width = st.color, st.dashes, vg.Points(1.5)
		s.Color, s.Radius = st.color, vg.Points(2)
		p.Add(l, s)
		p.Legend.Add(string(a), l, s)
	}
	// At most about eight dates under the axis, evenly spread.
	// Counted from the newest, which is always labelled.
	step := max(1, (len(d.Trend)+7)/8)
	var ticks []plot.Tick
	for i, r := range d.Trend {
		t := plot.Tick{Value: float64(i)}
		if (len(d.Trend)-1-i)%step == 0 {
			t.Label = r.Finished.UTC().Format("Jan 2")
		}
		ticks = append(ticks, t)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(len(d.Trend))-0.5
	// Headroom for the legend above the highest line.
	p.Y.Max = max(p.Y.Max*1.3, 1)
	return svg(p, 6*vg.Inch, 2.8*vg.Inch, "Rows by action over the last runs: a line each for send, suppress and retry; the table below has the figures.")
}

var (
	svgViewBox = regexp.MustCompile(`viewBox="([0-9. ]+)"`)
	// The Liberation faces are named without a fallback; where they are
	// not installed a browser would fall back to its serif face.
	svgFont = strings.NewReplacer(
		"font-family:Liberation Sans;", "font-family:Liberation Sans,Arial,Helvetica,sans-serif;",
	)
)

// svg draws p and returns it as an element to put in an HTML page: the
// XML prologue and the namespace declarations vgsvg writes are dropped
// (HTML knows an svg element without them, and they are the only URLs it
// would hold), and the size is left to the page's style.
func svg(p *plot.Plot, w, h vg.Length, label string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("chart: %w", err)
	}
	out := buf.String()
	start := strings.Index(out, "<svg")
	end := strings.Index(out[max(start, 0):], ">")
	if start < 0 || end < 0 {
		return "", fmt.Errorf("chart: no svg element in the canvas output")
	}
	end += start
	m := svgViewBox.FindStringSubmatch(out[start:end])
	if m == nil {
		return "", fmt.Errorf("chart: no viewBox in %q", out[start:end])
	}
	body := svgFont.Replace(out[end+1:])
	// The label is ours, but escaped all the same: this is HTML built by
	// hand.
	return template.HTML(`<svg class="chart" viewBox="` + m[1] + `" role="img" aria-label="` +
		html.EscapeString(label) + `" preserveAspectRatio="xMidYMid meet">` + body), nil
}

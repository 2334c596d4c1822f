package main

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// point is one measurement of a series.
type point struct{ x, y float64 }

// series is one line of a plot.
type series struct {
	name   string
	points []point
}

// tick is a labelled position on an axis.
type tick struct {
	at    float64
	label string
}

// plot is a line chart: one line per series, x and y linear or logarithmic.
type plot struct {
	title, xLabel, yLabel string
	logX, logY            bool
	xTicks                []tick
	series                []series
}

// The plot's geometry, in SVG user units.
const (
	plotWidth, plotHeight         = 760, 440
	marginLeft, marginRight       = 110, 170
	marginTop, marginBottom       = 50, 60
	innerWidth, innerHeight       = plotWidth - marginLeft - marginRight, plotHeight - marginTop - marginBottom
	legendX                       = plotWidth - marginRight + 20
	markerRadius, strokeWidth     = 3.5, 2
	gridColor, axisColor, bgColor = "#dddddd", "#333333", "#ffffff"
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"}

// scale maps a value of [lo, hi] (on a log scale when log is set) to [0, 1].
func scale(v, lo, hi float64, log bool) float64 {
	if log {
		v, lo, hi = math.Log(v), math.Log(lo), math.Log(hi)
	}
	if hi == lo {
		return 0.5
	}
	return (v - lo) / (hi - lo)
}

// yTicks picks the y axis's range and ticks: decades on a log scale, else 0 to a round maximum
// in five steps.
func yTicks(lo, hi float64, log bool) (float64, float64, []tick) {
	var ticks []tick
	if log {
		from, to := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if from == to {
			to++
		}
		for e := from; e <= to; e++ {
			v := math.Pow(10, e)
			ticks = append(ticks, tick{v, count(v)})
		}
		return math.Pow(10, from), math.Pow(10, to), ticks
	}
	step := math.Pow(10, math.Floor(math.Log10(hi/5)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if hi/(m*step) <= 5 {
			step *= m
			break
		}
	}
	top := math.Ceil(hi/step) * step
	for v := 0.0; v <= top+step/2; v += step {
		ticks = append(ticks, tick{v, count(v)})
	}
	return 0, top, ticks
}

// svg writes the plot as a standalone SVG document.
func (p plot) svg() ([]byte, error) {
	xlo, xhi := math.Inf(1), math.Inf(-1)
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for _, s := range p.series {
		for _, pt := range s.points {
			if (p.logX && pt.x <= 0) || (p.logY && pt.y <= 0) {
				return nil, fmt.Errorf("plot %q: series %q: %v cannot go on a log scale", p.title, s.name, pt)
			}
			xlo, xhi = min(xlo, pt.x), max(xhi, pt.x)
			ylo, yhi = min(ylo, pt.y), max(yhi, pt.y)
		}
	}
	if math.IsInf(xlo, 0) {
		return nil, fmt.Errorf("plot %q: no points", p.title)
	}
	ylo, yhi, yt := yTicks(ylo, yhi, p.logY)
	px := func(x float64) float64 { return marginLeft + innerWidth*scale(x, xlo, xhi, p.logX) }
	py := func(y float64) float64 { return marginTop + innerHeight*(1-scale(y, ylo, yhi, p.logY)) }

	var b bytes.Buffer
	text := func(x, y float64, attrs, s string) {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" %s>`, x, y, attrs)
		xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer: cannot fail
		b.WriteString("</text>\n")
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotWidth, plotHeight, plotWidth, plotHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="%s"/>`+"\n", plotWidth, plotHeight, bgColor)
	text(marginLeft+innerWidth/2, 25, `text-anchor="middle" font-size="15"`, p.title)
	for _, t := range yt {
		y := py(t.at)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", marginLeft, y, marginLeft+innerWidth, y, gridColor)
		text(marginLeft-8, y+4, `text-anchor="end"`, t.label)
	}
	for _, t := range p.xTicks {
		x := px(t.at)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, marginTop, x, marginTop+innerHeight, gridColor)
		text(x, marginTop+innerHeight+18, `text-anchor="middle"`, t.label)
	}
	fmt.Fprintf(&b, `<polyline points="%d,%d %d,%d %d,%d" fill="none" stroke="%s"/>`+"\n",
		marginLeft, marginTop, marginLeft, marginTop+innerHeight, marginLeft+innerWidth, marginTop+innerHeight, axisColor)
	text(marginLeft+innerWidth/2, plotHeight-15, `text-anchor="middle"`, p.xLabel)
	text(18, marginTop+innerHeight/2, fmt.Sprintf(`text-anchor="middle" transform="rotate(-90 18 %d)"`, marginTop+innerHeight/2), p.yLabel)
	for i, s := range p.series {
		color := palette[i%len(palette)]
		coords := make([]string, len(s.points))
		for j, pt := range s.points {
			coords[j] = strconv.FormatFloat(px(pt.x), 'f', 1, 64) + "," + strconv.FormatFloat(py(pt.y), 'f', 1, 64)
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%d"/>`+"\n", strings.Join(coords, " "), color, strokeWidth)
		for _, pt := range s.points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`+"\n", px(pt.x), py(pt.y), markerRadius, color)
		}
		y := float64(marginTop + 10 + 22*i)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%d"/>`+"\n", legendX, y, legendX+24, y, color, strokeWidth)
		text(legendX+30, y+4, "", s.name)
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

// plots builds the scaling and payload plots from the lines present in r, by file name.
func plots(r *run) map[string]plot {
	out := map[string]plot{}
	scalingPlot := plot{
		title:  "add(1, 2): calls per second by goroutines (guests: typed binding)",
		xLabel: "goroutines calling at once", yLabel: "calls per second (wall time)", logX: true,
	}
	for _, g := range r.children(scaling) {
		s := series{name: scalingName(g, true)}
		for _, c := range r.children(scaling + "/" + g) {
			n, err := strconv.Atoi(strings.TrimPrefix(c, "g"))
			v, ok := r.get(scaling+"/"+g+"/"+c, callsPerSec)
			if err != nil || !ok {
				continue
			}
			s.points = append(s.points, point{float64(n), v})
			if !slices.ContainsFunc(scalingPlot.xTicks, func(t tick) bool { return t.at == float64(n) }) {
				scalingPlot.xTicks = append(scalingPlot.xTicks, tick{float64(n), strconv.Itoa(n)})
			}
		}
		if len(s.points) > 0 {
			scalingPlot.series = append(scalingPlot.series, s)
		}
	}
	if len(scalingPlot.series) > 0 {
		out["bench-scaling.svg"] = scalingPlot
	}

	payloadPlot := plot{
		title:  "echo_bytes: payload size against throughput",
		xLabel: "payload size", yLabel: "MB/s (payload counted once per call)", logX: true, logY: true,
	}
	sizes := r.children(echoBytes)
	copyLine := series{name: "Go copy"}
	byGuest := map[string]*series{}
	var guests []string
	for _, size := range sizes {
		n := float64(sizeOf(size))
		if n <= 0 {
			continue
		}
		payloadPlot.xTicks = append(payloadPlot.xTicks, tick{n, spaced(size)})
		if v, ok := r.get(copyPrefix+size, "MB/s"); ok {
			copyLine.points = append(copyLine.points, point{n, v})
		}
		for _, g := range r.children(echoBytes + "/" + size) {
			v, ok := r.get(echoBytes+"/"+size+"/"+g, "MB/s")
			if !ok {
				continue
			}
			if byGuest[g] == nil {
				byGuest[g] = &series{name: guestName(g) + " guest"}
				guests = append(guests, g)
			}
			byGuest[g].points = append(byGuest[g].points, point{n, v})
		}
	}
	lines := []*series{&copyLine}
	for _, g := range guests {
		lines = append(lines, byGuest[g])
	}
	for _, s := range lines {
		if len(s.points) > 0 {
			slices.SortFunc(s.points, func(a, b point) int { return cmp.Compare(a.x, b.x) })
			payloadPlot.series = append(payloadPlot.series, *s)
		}
	}
	if len(guests) > 0 {
		out["bench-payload.svg"] = payloadPlot
	}
	return out
}

// writePlots writes every plot r has data for into dir and returns the files written.
func writePlots(dir string, r *run) ([]string, error) {
	var written []string
	ps := plots(r)
	for _, name := range []string{"bench-scaling.svg", "bench-payload.svg"} {
		p, ok := ps[name]
		if !ok {
			continue
		}
		data, err := p.svg()
		if err != nil {
			return written, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return written, fmt.Errorf("writing the plots: %w", err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return written, fmt.Errorf("writing the plots: %w", err)
		}
		written = append(written, path)
	}
	return written, nil
}

package main

import (
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// gatherNetworkMetrics returns etcd's etcd_network_* series as "name{k=v,...}" -> value
// (counters and gauges; histograms as their sample count).
func gatherNetworkMetrics() (map[string]float64, error) {
	families, err := prometheus.DefaultGatherer.Gather()
	out := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "etcd_network_") {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out, err
}

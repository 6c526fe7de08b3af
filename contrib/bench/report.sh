#!/bin/bash
# report.sh RAW OUTDIR: the table, CSV and chart of bench.sh's samples.
# RAW: "metric runtime value" lines (times in microseconds).
set -euo pipefail
raw=$1 out=$2
metrics="run run-warm create start delete state exec list rss memlimit throughput-1 throughput-2 size"

# metric runtime n median min max (in the reported unit)
sort -k1,1 -k2,2 -k3,3n "$raw" | awk '
	function flush() {
		if (n == 0) return
		med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		print key, n, med / d, v[1] / d, v[n] / d
		n = 0
	}
	{
		k = $1 " " $2
		if (k != key) { flush(); key = k }
		d = ($1 ~ /^(run|run-warm|create|start|delete|state|exec|list)$/) ? 1000 : 1
		v[++n] = $3
	}
	END { flush() }' >"$out/stats.txt"

unit() {
	case $1 in
	rss | memlimit | size) echo KiB ;;
	throughput-*) echo runs/s ;;
	*) echo ms ;;
	esac
}
label() {
	case $1 in
	run) echo "run /bin/true (cold)" ;;
	run-warm) echo "run /bin/true (warm)" ;;
	list) echo "list" ;;
	rss) echo "peak RSS of run" ;;
	memlimit) echo "smallest memory limit run survives" ;;
	throughput-1) echo "throughput, back to back" ;;
	throughput-2) echo "throughput, 2 parallel streams" ;;
	size) echo "binary as installed" ;;
	*) echo "$1" ;;
	esac
}
# get METRIC RUNTIME FIELD (4 median, 5 min, 6 max)
get() { awk -v m="$1" -v r="$2" -v f="$3" '$1 == m && $2 == r { print $f }' "$out/stats.txt"; }
fmt() { [ -z "$1" ] && return; awk -v x="$1" 'BEGIN { printf (x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f"), x }'; }

{
	echo "| metric | unit | husk | runc | crun | floor | husk / crun | runc / crun | floor / crun |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for m in $metrics; do
		line="| $(label "$m") | $(unit "$m") |"
		for r in husk runc crun floor; do
			med=$(get "$m" "$r" 4)
			if [ -n "$med" ]; then
				line+=" $(fmt "$med") ($(fmt "$(get "$m" "$r" 5)")–$(fmt "$(get "$m" "$r" 6)")) |"
			else
				line+=" |"
			fi
		done
		c=$(get "$m" crun 4)
		for r in husk runc floor; do
			v=$(get "$m" "$r" 4)
			if [ -n "$c" ] && [ -n "$v" ] && [ "$c" != 0 ]; then
				line+=" $(awk -v a="$v" -v b="$c" 'BEGIN { printf "%.2f", a / b }') |"
			else
				line+=" |"
			fi
		done
		echo "$line"
	done
	echo
	echo "median (min–max); ms unless noted; $(awk '$1 == "run" && $2 == "husk"' "$out/raw.txt" | wc -l) rounds; $(date -u +%F), $(uname -r), $(nproc) CPUs"
} >"$out/bench.txt"

{
	echo "metric,unit,runtime,n,median,min,max,ratio_to_crun"
	while read -r m r n med lo hi; do
		c=$(get "$m" crun 4)
		ratio=$(awk -v a="$med" -v b="${c:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b }')
		echo "$m,$(unit "$m"),$r,$n,$med,$lo,$hi,$ratio"
	done <"$out/stats.txt"
} >"$out/bench.csv"

# The chart: every value relative to crun's median of the same metric (log
# scale), one bar group per metric, min-max whiskers.
: >"$out/chart.dat"
for m in $metrics; do
	c=$(get "$m" crun 4)
	if [ -z "$c" ] || [ "$c" = 0 ]; then continue; fi
	line="\"$(label "$m")\""
	for r in husk runc crun floor; do
		med=$(get "$m" "$r" 4)
		if [ -n "$med" ]; then
			line+=" $(awk -v a="$med" -v b="$(get "$m" "$r" 5)" -v d="$(get "$m" "$r" 6)" -v c="$c" \
				'BEGIN { printf "%g %g %g", a / c, b / c, d / c }')"
		else
			line+=" NaN NaN NaN"
		fi
	done
	echo "$line" >>"$out/chart.dat"
done
if command -v gnuplot >/dev/null; then
	for t in png svg; do
		if [ "$t" = png ]; then term="pngcairo size 1400,600 font ',10'"; else term="svg size 1400,600 font ',10'"; fi
		gnuplot <<-GP
			set terminal $term
			set output '$out/bench.$t'
			set title 'husk, runc, crun and the kernel floor, relative to crun (median, min-max whiskers; throughput: higher is better, else lower)'
			set style data histogram
			set style histogram errorbars gap 2 lw 1
			set style fill solid 0.8 border -1
			set logscale y
			set ylabel 'x crun median'
			set xtics rotate by -25 scale 0
			set key top left
			set grid ytics
			plot '$out/chart.dat' using 2:3:4:xtic(1) title 'husk' lc rgb '#2b8c3e', \
			  '' using 5:6:7 title 'runc' lc rgb '#4a6fb3', \
			  '' using 8:9:10 title 'crun' lc rgb '#c9a227', \
			  '' using 11:12:13 title 'floor' lc rgb '#888888'
		GP
	done
else
	echo "bench: gnuplot not found (apt-get install gnuplot-nox): no chart" >&2
fi
cat "$out/bench.txt"

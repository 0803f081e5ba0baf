# Images per second against batch size, per backend, for seed-cnn and mlp1,
# from build/bench/throughput.csv. Run by bench/run.sh, which sets dir and
# backends (those that ran).
set datafile separator ","
set terminal pngcairo size 900,560 font ",11"
set logscale xy
set xtics (50, 128, 512, 2048)
set xlabel "batch size"
set ylabel "images per second (training)"
set key left top
set grid
do for [net in "seed-cnn mlp1"] {
    set output sprintf("%s/throughput-%s.png", dir, net)
    set title sprintf("%s: training throughput", net)
    plot for [be in backends] \
        sprintf("< awk -F, '$1==\"%s\" && $3==\"%s\"' %s/throughput.csv", net, be, dir) \
        using 2:5 with linespoints lw 2 pt 7 title be
}

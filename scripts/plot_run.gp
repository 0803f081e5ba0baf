# Charts of one or several training runs, from their CSV logs (columns
# kind,epoch,step,loss,acc,lr,seconds). Set by scripts/plots.sh:
#   csvs   space-separated CSV paths      names  the runs' names, same order
#   out    where the PNGs go              (one run: its own folder)
#   every  the iterations in each train row (the first run's)
set datafile separator ","
set terminal pngcairo size 1000,560 font ",11"
set grid
set key outside right top
n = words(csvs)
train(f) = sprintf("< awk -F, '$1==\"train\"' %s", f)
test(f) = sprintf("< awk -F, '$1==\"test\"' %s", f)

set output out."/loss.png"
set title "training loss (mean over each ".every." iterations)"
set xlabel "iteration"; set ylabel "loss"; set logscale y
plot for [i=1:n] train(word(csvs, i)) using 3:4 with lines lw 2 title word(names, i)
unset logscale y

set output out."/accuracy.png"
set title "training accuracy (mean over each ".every." iterations)"
set ylabel "accuracy (%)"; set yrange [80:100]
plot for [i=1:n] train(word(csvs, i)) using 3:5 with lines lw 2 title word(names, i)

set output out."/test-accuracy.png"
set title "test accuracy after each epoch"
set xlabel "epoch"; set ylabel "accuracy (%)"; set yrange [*:*]
plot for [i=1:n] test(word(csvs, i)) using 2:5 with linespoints lw 2 pt 7 title word(names, i)

set output out."/test-loss.png"
set title "test loss after each epoch"
set ylabel "loss"
plot for [i=1:n] test(word(csvs, i)) using 2:4 with linespoints lw 2 pt 7 title word(names, i)

# A Perl text job for the preload tests: generate text, count words with a hash, rewrite
# with regular expressions, sort and print; the output is the same under any allocator.
use strict;
use warnings;

my @syll = qw(ka lo mi nu pe ra si to ve);
my $state = 7;
my (%count, @lines);
for my $l (1 .. 40000) {
    my @w;
    for (1 .. 12) {
        $state = ($state * 1103515245 + 12345) % 2147483648;
        my $x = $state % 3000;
        my $word = '';
        do { $word .= $syll[$x % 9]; $x = int($x / 9) } while ($x);
        push @w, $word;
        $count{$word}++;
    }
    push @lines, join(' ', @w);
}
my $text = join("\n", @lines);
(my $upper = $text) =~ s/\b(ka\w*)/\U$1/g;
my $n = () = $upper =~ /KA/g;
my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 19];
print "words ", scalar(keys %count), " lines ", scalar(@lines), " KA $n\n";
print "$_ $count{$_}\n" for @top;
my %bylen;
push @{ $bylen{ length $_ } }, $_ for keys %count;
print "len $_: ", scalar(@{ $bylen{$_} }), "\n" for sort { $a <=> $b } keys %bylen;

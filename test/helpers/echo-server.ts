/**
 * An echo server for tests and benchmarks of port forwarding: one Perl process (perl-base only, so
 * it runs in the base image and on the host alike), no fork per connection, every connection served
 * by one `select` loop. It echoes what it reads, and after the client's half-close it sends the
 * rest and half-closes too. Prints `listening <port>` once it listens.
 */

/** bash command line that runs the server on 127.0.0.1:`port` (`0.0.0.0` with `anyAddress`). */
export function echoServerCommand(port: number, anyAddress = false): string {
  return `exec perl -e '${ECHO_SERVER}' ${anyAddress ? '0.0.0.0' : '127.0.0.1'} ${port}`;
}

/** argv to run it outside bash (on the host). */
export function echoServerArgv(port: number): string[] {
  return ['perl', '-e', ECHO_SERVER, '127.0.0.1', String(port)];
}

const ECHO_SERVER = `
use strict; use warnings; use IO::Socket::INET; use IO::Select; use Errno qw(EAGAIN EINTR);
$| = 1; $SIG{PIPE} = "IGNORE";
my ($addr, $port) = @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Listen => 512, ReuseAddr => 1) or die "listen: $!";
$l->blocking(0);
print "listening $port\\n";
my (%buf, %eof);
my $r = IO::Select->new($l); my $w = IO::Select->new();
sub done { my ($c) = @_; $r->remove($c); $w->remove($c); delete $buf{$c}; delete $eof{$c}; close $c; }
while (1) {
  my ($rr, $ww) = IO::Select->select($r, $w, undef);
  for my $c (@{$ww || []}) {
    next unless exists $buf{$c};
    my $n = syswrite($c, $buf{$c});
    if (!defined $n) { done($c) unless $! == EAGAIN || $! == EINTR; next; }
    substr($buf{$c}, 0, $n, "");
    next if length $buf{$c};
    $w->remove($c);
    if ($eof{$c}) { shutdown($c, 1); done($c); } else { $r->add($c); }
  }
  for my $c (@{$rr || []}) {
    if ($c == $l) { while (my $n = $l->accept) { $n->blocking(0); $buf{$n} = ""; $r->add($n); } next; }
    next unless exists $buf{$c};
    my $n = sysread($c, my $data, 65536);
    if (!defined $n) { done($c) unless $! == EAGAIN || $! == EINTR; next; }
    if ($n == 0) { $eof{$c} = 1; $r->remove($c); if (length $buf{$c}) { $w->add($c); } else { shutdown($c, 1); done($c); } next; }
    $buf{$c} .= $data; $w->add($c);
    $r->remove($c) if length $buf{$c} > 1048576;
  }
}
`;

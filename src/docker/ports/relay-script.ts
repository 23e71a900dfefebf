/**
 * The relay: one Perl program per forward, run by one `docker exec`, that carries every connection
 * of the forward over the exec's stdin/stdout as relay frames (src/protocol/relay-frames.ts) and
 * connects to 127.0.0.1 inside the sandbox for each. The sandbox keeps its network off: this uses
 * only its loopback. perl-base is enough (Socket, core `select`), so it needs nothing else in the
 * image, and it is passed as argv, so a read-only root is no obstacle.
 *
 * One `select` loop, nothing blocks but the write of frames to stdout (the host always reads it):
 * connects are non-blocking, a socket is read only while the host has granted credit for its
 * stream, and bytes for a socket wait in its own buffer until it is writable; each byte written on
 * is granted back to the host as credit. Exits when its stdin ends (the forward closed).
 */
import { INITIAL_WINDOW, MAX_PAYLOAD, RelayFrameType as T } from '../../protocol/relay-frames.js';

/** The relay's reads from a socket: a DATA frame at most this big. */
const READ_CHUNK = 32 * 1024;

const RELAY_SCRIPT = `
use strict; use warnings;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR IPPROTO_TCP TCP_NODELAY inet_aton sockaddr_in);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
$SIG{PIPE} = 'IGNORE';
binmode STDIN; binmode STDOUT;
my $CHUNK = ${READ_CHUNK}; my $WINDOW = ${INITIAL_WINDOW}; my $MAXP = ${MAX_PAYLOAD};
my (%sock, %fd, %out, %win, %credit, %connecting, %finin, %shut, %eof, %fresh);
my $tx = '';
sub frame { my ($t, $s, $d) = @_; $d = '' unless defined $d; $tx .= pack('CNN', $t, $s, length $d) . $d; }
sub flush {
  while (length $tx) {
    my $n = syswrite(STDOUT, $tx);
    if (!defined $n) { next if $! == EINTR; exit 0; }
    substr($tx, 0, $n, '');
  }
}
sub drop {
  my ($s) = @_;
  close($sock{$s}) if $sock{$s};
  delete $_->{$s} for (\\%sock, \\%fd, \\%out, \\%win, \\%credit, \\%connecting, \\%finin, \\%shut, \\%eof);
}
sub fail { my ($s, $why) = @_; frame(${T.close}, $s, $why); drop($s); }
sub connected {
  my ($s) = @_;
  delete $connecting{$s};
  setsockopt($sock{$s}, IPPROTO_TCP, TCP_NODELAY, 1);
  frame(${T.opened}, $s);
}
sub open_stream {
  my ($s, $port) = @_;
  my $h;
  if (!socket($h, PF_INET, SOCK_STREAM, 0)) { frame(${T.close}, $s, "socket: $!"); return; }
  fcntl($h, F_SETFL, fcntl($h, F_GETFL, 0) | O_NONBLOCK);
  $sock{$s} = $h; $fd{$s} = fileno($h); $fresh{$s} = 1; $out{$s} = ''; $win{$s} = $WINDOW; $credit{$s} = 0;
  if (connect($h, sockaddr_in($port, inet_aton('127.0.0.1')))) { connected($s); }
  elsif ($! == EINPROGRESS) { $connecting{$s} = 1; }
  else { fail($s, $!{ECONNREFUSED} ? 'refused' : "connect: $!"); }
}
sub maybe_shut {
  my ($s) = @_;
  return unless $finin{$s} && !$shut{$s} && !$connecting{$s} && length($out{$s}) == 0;
  shutdown($sock{$s}, 1); $shut{$s} = 1;
  drop($s) if $eof{$s};
}
sub on_frame {
  my ($t, $s, $d) = @_;
  if ($t == ${T.open}) { open_stream($s, unpack('n', $d)); return; }
  return unless exists $sock{$s};
  if ($t == ${T.data}) { $out{$s} .= $d; }
  elsif ($t == ${T.credit}) { $win{$s} += unpack('N', $d); }
  elsif ($t == ${T.fin}) { $finin{$s} = 1; maybe_shut($s); }
  elsif ($t == ${T.close}) { drop($s); }
}
my $in = '';
frame(${T.hello}, 0); flush();
while (1) {
  my ($rin, $win_) = ('', '');
  vec($rin, fileno(STDIN), 1) = 1;
  for my $s (keys %sock) {
    my $f = $fd{$s};
    if ($connecting{$s}) { vec($win_, $f, 1) = 1; next; }
    vec($rin, $f, 1) = 1 if $win{$s} > 0 && !$eof{$s};
    vec($win_, $f, 1) = 1 if length $out{$s};
  }
  my $n = select(my $rout = $rin, my $wout = $win_, undef, undef);
  if ($n < 0) { next if $! == EINTR; die "select: $!"; }
  # A socket opened while reading stdin has no readiness yet: its fd may be a closed one's.
  %fresh = ();
  if (vec($rout, fileno(STDIN), 1)) {
    my $got = sysread(STDIN, $in, 262144, length $in);
    if (!defined $got) { die "stdin: $!" unless $! == EINTR || $! == EAGAIN; }
    elsif ($got == 0) { exit 0; }
    my $p = 0;
    while (length($in) - $p >= 9) {
      my ($t, $s, $l) = unpack('CNN', substr($in, $p, 9));
      die "bad frame length $l" if $l > $MAXP;
      last if length($in) - $p - 9 < $l;
      on_frame($t, $s, substr($in, $p + 9, $l));
      $p += 9 + $l;
    }
    substr($in, 0, $p, '');
  }
  for my $s (keys %sock) {
    next if !exists $sock{$s} || $fresh{$s};
    my $h = $sock{$s}; my $f = $fd{$s};
    if ($connecting{$s}) {
      next unless vec($wout, $f, 1);
      my $err = unpack('i', getsockopt($h, SOL_SOCKET, SO_ERROR));
      if ($err) { $! = $err; fail($s, $!{ECONNREFUSED} ? 'refused' : "connect: $!"); next; }
      connected($s);
    }
    if (vec($wout, $f, 1) && length $out{$s}) {
      my $w = syswrite($h, $out{$s});
      if (defined $w) { substr($out{$s}, 0, $w, ''); $credit{$s} += $w; maybe_shut($s); next unless exists $sock{$s}; }
      elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) { fail($s, "write: $!"); next; }
    }
    if (vec($rout, $f, 1) && !$eof{$s} && $win{$s} > 0) {
      my $want = $win{$s} < $CHUNK ? $win{$s} : $CHUNK;
      my $r = sysread($h, my $buf, $want);
      if (defined $r && $r > 0) { $win{$s} -= $r; frame(${T.data}, $s, $buf); }
      elsif (defined $r) { $eof{$s} = 1; frame(${T.fin}, $s); drop($s) if $shut{$s}; }
      elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) { fail($s, "read: $!"); next; }
    }
  }
  for my $s (keys %credit) {
    next unless $credit{$s};
    frame(${T.credit}, $s, pack('N', $credit{$s})); $credit{$s} = 0;
  }
  flush();
}
`;

/** argv of the relay's exec. */
export function relayArgv(): string[] {
  return ['perl', '-e', RELAY_SCRIPT];
}

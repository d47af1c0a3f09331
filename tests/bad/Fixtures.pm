# Fixtures - build the binary inputs of the bad-input corpus (and of the
# fuzz seeds) from small, readable expressions, at test time.
#
# Every function returns a byte string.  The compressions use the same
# programs as a package build (gzip through zlib; xz, zstd and bzip2
# through their command-line tools, which dh-model Build-Depends on); tar,
# zip, IDX and safetensors are written byte by byte here, so that a case
# can break exactly one field of them.
#
#   gz($bytes)  xz($bytes)  zst($bytes)  bz2($bytes)
#   cut($bytes, N)            the first N bytes (N < 0: all but the last -N)
#   poke($bytes, OFFSET, $new) overwrite bytes at OFFSET (< 0: from the end)
#   zeros(N)
#   tar([NAME => $bytes], [NAME => {link => TARGET}], [NAME => {dir => 1}])
#                             ustar; a name longer than 100 bytes gets a pax
#                             header, as GNU tar writes it
#   zip([NAME => $bytes], [NAME => {link => TARGET}], {bad_crc => 1})
#                             stored (uncompressed) members; a symbolic
#                             link is a member with Unix mode 0120777;
#                             {size => N} declares N bytes uncompressed
#   idx(TYPE, [DIMS], [VALUES]) TYPE: u8 s8 i16 i32 f32 f64, or a number
#                             for the whole magic (a wrong magic)
#   safetensors($json_header, $data)  8-byte length, header, data
#   st_edit($file, sub { my ($header, $data) = @_; ... })
#                             change a safetensors file: the sub gets the
#                             decoded header (a hash) and the data (a
#                             string), and may change both in place
#   provenance_edit($file, sub { my ($p) = @_; ... })
#                             change the provenance in a weights file's
#                             metadata: the sub gets it decoded (a hash)
#   f32(@floats)              little-endian F32 bytes
#   csv_rows(N, DIM, CLASSES) a separable CSV dataset with a header line
package Fixtures;

use strict;
use warnings;
use Exporter qw(import);
use Compress::Zlib ();
use File::Temp qw(tempfile);
use IO::Compress::Gzip qw(gzip $GzipError);
use JSON::PP ();

our @EXPORT = qw(gz xz zst bz2 cut poke zeros tar zip idx safetensors st_edit
	provenance_edit f32 csv_rows have_tool);

sub have_tool {
	my ($tool) = @_;
	return scalar(grep { -x "$_/$tool" } split(/:/, $ENV{PATH} // '/usr/bin:/bin'));
}

sub gz {
	my ($in) = @_;
	my $out;
	# -n: no name, no time stamp: the same bytes every run
	gzip(\$in => \$out, Minimal => 1, Level => 9) or die "gzip: $GzipError\n";
	return $out;
}

# Through a command-line filter, with temporary files (no pipes to dead-lock).
sub filter {
	my ($cmd, $in) = @_;
	my ($fh, $name) = tempfile(UNLINK => 1);
	binmode($fh);
	print {$fh} $in;
	close($fh);
	open(my $p, '-|', "$cmd < '$name'") or die "$cmd: $!\n";
	binmode($p);
	local $/;
	my $out = <$p>;
	close($p) or die "$cmd failed\n";
	unlink($name);
	return $out;
}

sub xz { return filter('xz -c -6 --check=crc64', $_[0]); }
sub zst { return filter('zstd -q -c -19', $_[0]); }
sub bz2 { return filter('bzip2 -c -9', $_[0]); }

sub cut {
	my ($s, $n) = @_;
	return $n < 0 ? substr($s, 0, length($s) + $n) : substr($s, 0, $n);
}

sub poke {
	my ($s, $at, $new) = @_;
	$at += length($s) if $at < 0;
	substr($s, $at, length($new)) = $new;
	return $s;
}

sub zeros { return "\0" x $_[0]; }

# ---- tar ----

sub tar_header {
	my ($name, $size, $type, $link) = @_;
	my $h = pack('a100 a8 a8 a8 a12 a12 A8 a1 a100 a6 a2 a32 a32 a8 a8 a155 a12',
		$name, sprintf('%07o', $type eq '5' ? 0755 : 0644), sprintf('%07o', 0),
		sprintf('%07o', 0), sprintf('%011o', $size), sprintf('%011o', 0),
		'        ', $type, $link // '', 'ustar', '00', 'root', 'root',
		'', '', '', '');
	my $sum = unpack('%32C*', $h);
	substr($h, 148, 8) = sprintf("%06o\0 ", $sum);
	return $h;
}

sub tar_pad { my ($n) = @_; return "\0" x ((512 - $n % 512) % 512); }

sub tar {
	my @entries = @_;
	my $out = '';
	for my $e (@entries) {
		my ($name, $what) = @$e;
		my ($type, $data, $link) = ('0', '', undef);
		if (ref($what) eq 'HASH') {
			($type, $link) = ('2', $what->{link}) if defined($what->{link});
			$type = '5' if $what->{dir};
		} else {
			$data = $what;
		}
		my $short = $name;
		if (length($name) > 100) {
			# a pax extended header "NN path=NAME\n" carries the long name
			my $rec = " path=$name\n";
			my $len = length($rec);
			$len++ while length("$len$rec") != $len;
			$rec = "$len$rec";
			$out .= tar_header('PaxHeaders/x', length($rec), 'x') . $rec
				. tar_pad(length($rec));
			$short = substr($name, -99);
		}
		$out .= tar_header($short, length($data), $type, $link) . $data
			. tar_pad(length($data));
	}
	return $out . ("\0" x 1024);
}

# ---- zip ----

sub zip {
	my @entries = @_;
	my %opt = ref($entries[-1]) eq 'HASH' ? %{pop(@entries)} : ();
	my ($local, $central) = ('', '');
	for my $e (@entries) {
		my ($name, $what) = @$e;
		my ($data, $mode) = (ref($what) ? $what->{link} : $what, 0100644);
		$mode = 0120777 if ref($what);
		my $crc = Compress::Zlib::crc32($data);
		$crc ^= 0xdeadbeef if $opt{bad_crc};
		my $offset = length($local);
		# version 10, no flags, stored, time 0 1980-01-01
		my $fields = pack('v v v v v V V V v v', 10, 0, 0, 0, 0x21, $crc,
			length($data), $opt{size} // length($data), length($name), 0);
		$local .= "PK\3\4" . $fields . $name . $data;
		# made by 3 (Unix) version 20, so that the mode is the external attribute
		$central .= "PK\1\2" . pack('v', 0x031e) . $fields
			. pack('v v v V V', 0, 0, 0, $mode << 16, $offset) . $name;
	}
	return $local . $central . "PK\5\6" . pack('v v v v V V v', 0, 0,
		scalar(@entries), scalar(@entries), length($central), length($local), 0);
}

# ---- IDX ----

my %IDX_TYPE = (u8 => [0x08, 'C'], s8 => [0x09, 'c'], i16 => [0x0B, 's>'],
	i32 => [0x0C, 'l>'], f32 => [0x0D, 'f>'], f64 => [0x0E, 'd>']);

sub idx {
	my ($type, $dims, $values) = @_;
	my $magic;
	my $fmt = 'C';
	if (exists($IDX_TYPE{$type})) {
		($magic, $fmt) = @{$IDX_TYPE{$type}};
		$magic = ($magic << 8) | scalar(@$dims);
	} else {
		$magic = $type;
	}
	return pack('N', $magic) . pack('N*', @$dims) . pack("($fmt)*", @{$values // []});
}

# ---- safetensors ----

sub safetensors {
	my ($header, $data) = @_;
	return pack('Q<', length($header)) . $header . ($data // '');
}

sub st_edit {
	my ($file, $edit) = @_;
	my $n = unpack('Q<', $file);
	my $header = JSON::PP->new->decode(substr($file, 8, $n));
	my $data = substr($file, 8 + $n);
	$edit->($header, $data);
	return safetensors(JSON::PP->new->canonical->encode($header), $data);
}

sub provenance_edit {
	my ($file, $edit) = @_;
	return st_edit($file, sub {
		my $meta = $_[0]{__metadata__};
		my $p = JSON::PP->new->decode($meta->{'dh-model.provenance'});
		$edit->($p);
		$meta->{'dh-model.provenance'} = JSON::PP->new->canonical->encode($p);
	});
}

sub f32 { return pack('f<*', @_); }

# ---- CSV ----

# N rows of DIM features and a label in [0, CLASSES): the label is the
# index of the largest of the first CLASSES features, so a small network
# learns it.  Deterministic.
sub csv_rows {
	my ($n, $dim, $classes) = @_;
	my $out = join(',', (map { "x$_" } 1 .. $dim), 'label') . "\n";
	my $state = 12345;
	for my $i (1 .. $n) {
		my @x;
		for (1 .. $dim) {
			$state = ($state * 1103515245 + 12345) % 2147483648;
			push(@x, sprintf('%.3f', $state / 2147483648 * 2 - 1));
		}
		my $best = 0;
		for my $c (1 .. $classes - 1) {
			$best = $c if $x[$c] > $x[$best];
		}
		$out .= join(',', @x, $best) . "\n";
	}
	return $out;
}

1;

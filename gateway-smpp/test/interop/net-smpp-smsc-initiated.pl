#!/usr/bin/perl
# An SMSC written with Perl's Net::SMPP (libnet-smpp-perl) that speaks first once the ESME has
# bound: enquire_link, alert_notification, a mobile-originated deliver_sm whose text looks like a
# receipt (esm_class 0), then unbind. It prints every answer, then waits for the ESME to bind
# again and, finally, to unbind.
# Usage: net-smpp-smsc-initiated.pl [seconds before giving up, default 30]  → "listening PORT" first.
use strict;
use warnings;
use Net::SMPP;

$| = 1;
$SIG{ALRM} = sub { die "timed out\n" };
alarm($ARGV[0] // 30);

my $server = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
    or die "cannot listen: $!\n";
print "listening ", $server->sockport, "\n";

sub accept_bind {
    my $c = $server->accept or die "accept failed\n";
    my $pdu = $c->read_pdu() or die "no bind\n";
    die "expected bind_transceiver\n" unless $pdu->{cmd} == Net::SMPP::CMD_bind_transceiver;
    $c->bind_transceiver_resp(system_id => 'PERLSMSC', seq => $pdu->{seq});
    print "bound\n";
    return $c;
}

my $c = accept_bind();
my $resp = $c->enquire_link();
print "enquire_link_resp ", $resp->{status}, "\n";
$c->alert_notification(source_addr => '6281234567890', esme_addr => 'otp-router', async => 1);
print "alert_notification sent\n";
$resp = $c->deliver_sm(
    source_addr_ton => 1, source_addr_npi => 1, source_addr => '6281234567890',
    dest_addr_ton => 5, dest_addr_npi => 0, destination_addr => 'MyBank',
    esm_class => 0, data_coding => 0,
    short_message => 'id:ABC123 sub:001 dlvrd:001 stat:DELIVRD text:STOP',
);
print "deliver_sm_resp ", $resp->{status}, "\n";
$resp = $c->unbind();
print "unbind_resp ", $resp->{status}, "\n";

my $again = accept_bind();
while (my $pdu = $again->read_pdu()) {
    if ($pdu->{cmd} == Net::SMPP::CMD_enquire_link) {
        $again->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($pdu->{cmd} == Net::SMPP::CMD_unbind) {
        print "unbind\n";
        $again->unbind_resp(seq => $pdu->{seq});
        exit 0;
    }
}

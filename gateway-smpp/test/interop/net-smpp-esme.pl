#!/usr/bin/perl
# An ESME written with Perl's Net::SMPP (libnet-smpp-perl): binds to the SMSC simulator,
# submits one message, waits for its delivery receipt, answers it, unbinds.
# Usage: net-smpp-esme.pl PORT SYSTEM_ID PASSWORD DESTINATION TEXT
# Prints "submit_sm_resp STATUS MESSAGE_ID" and "receipt TEXT" lines.
use strict;
use warnings;
use Net::SMPP;

my ($port, $system_id, $password, $destination, $text) = @ARGV;
$| = 1;
$SIG{ALRM} = sub { die "timed out\n" };
alarm 15;

my $smpp = Net::SMPP->new_transceiver('127.0.0.1', port => $port, system_id => $system_id,
    password => $password, async => 0) or die "cannot bind: $!\n";

my $resp = $smpp->submit_sm(
    source_addr_ton => 5, source_addr_npi => 0, source_addr => 'PerlBank',
    dest_addr_ton => 1, dest_addr_npi => 1, destination_addr => $destination,
    data_coding => 0, registered_delivery => 1, short_message => $text,
) or die "submit_sm failed\n";
print "submit_sm_resp $resp->{status} $resp->{message_id}\n";

while (1) {
    my $pdu = $smpp->read_pdu() or die "connection lost\n";
    if ($pdu->{cmd} == Net::SMPP::CMD_deliver_sm) {
        $smpp->deliver_sm_resp(message_id => '', seq => $pdu->{seq});
        print "receipt esm_class=$pdu->{esm_class} $pdu->{short_message}\n";
        last;
    }
    if ($pdu->{cmd} == Net::SMPP::CMD_enquire_link) {
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    }
}
$smpp->unbind();
exit 0;

#!/usr/bin/perl
# An SMSC written with Perl's Net::SMPP (libnet-smpp-perl), for one connection: answers the
# bind, enquire_link and submit_sm (message id "ABC123" in hex style), prints what it got,
# sends a delivery receipt, then waits for unbind.
# Usage: net-smpp-smsc.pl [seconds before giving up, default 20]  → prints "listening PORT" first.
use strict;
use warnings;
use Net::SMPP;

$| = 1;
$SIG{ALRM} = sub { die "timed out\n" };
alarm($ARGV[0] // 20);

my $server = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
    or die "cannot listen: $!\n";
print "listening ", $server->sockport, "\n";
my $c = $server->accept or die "accept failed\n";

while (1) {
    my $pdu = $c->read_pdu() or exit 0;
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_bind_transceiver) {
        print "bind $pdu->{system_id} $pdu->{password}\n";
        $c->bind_transceiver_resp(system_id => 'PERLSMSC', seq => $pdu->{seq});
    } elsif ($cmd == Net::SMPP::CMD_enquire_link) {
        $c->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == Net::SMPP::CMD_submit_sm) {
        printf "submit_sm ton=%d npi=%d src=%s dst=%s dcs=%d esm=%d validity=%s sm=%s\n",
            $pdu->{source_addr_ton}, $pdu->{source_addr_npi}, $pdu->{source_addr},
            $pdu->{destination_addr}, $pdu->{data_coding}, $pdu->{esm_class},
            $pdu->{validity_period}, unpack('H*', $pdu->{short_message});
        $c->submit_sm_resp(message_id => 'ABC123', seq => $pdu->{seq});
        $c->deliver_sm(
            source_addr_ton => 1, source_addr_npi => 1, source_addr => $pdu->{destination_addr},
            dest_addr_ton => 5, dest_addr_npi => 0, destination_addr => $pdu->{source_addr},
            esm_class => 4, data_coding => 0, async => 1,
            short_message => 'id:ABC123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:',
        );
    } elsif ($cmd == Net::SMPP::CMD_unbind) {
        print "unbind\n";
        $c->unbind_resp(seq => $pdu->{seq});
        exit 0;
    }
}

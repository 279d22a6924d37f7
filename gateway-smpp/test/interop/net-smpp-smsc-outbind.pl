#!/usr/bin/perl
# An SMSC written with Perl's Net::SMPP (libnet-smpp-perl) that opens the connection to the
# ESME and sends outbind (SMPP 3.4 §2.2.1). Modes:
#   ok              the ESME binds; the SMSC sends alert_notification (ms_availability_status 0),
#                   a receipt for MESSAGE_ID, then unbinds
#   wrong-password  outbind with a password the ESME does not expect; the connection must close
#   enquire-first   enquire_link instead of outbind; the ESME must answer generic_nack and close
# Usage: net-smpp-smsc-outbind.pl PORT SYSTEM_ID PASSWORD MODE [MESSAGE_ID]
# Prints what it got, one line each ("bind bind_receiver ESME_ID ESME_PASSWORD", "closed", …).
use strict;
use warnings;
use Net::SMPP;

my ($port, $system_id, $password, $mode, $message_id) = @ARGV;
$| = 1;
$SIG{ALRM} = sub { die "timed out\n" };
alarm 15;

my $c = Net::SMPP->new_connect('127.0.0.1', port => $port, smpp_version => 0x34, async => 1)
    or die "cannot connect: $!\n";

if ($mode eq 'enquire-first') {
    $c->enquire_link();
    my $pdu = $c->read_pdu();
    printf "answer %s 0x%02x\n", $pdu->{cmd} == Net::SMPP::CMD_generic_nack ? 'generic_nack' : $pdu->{cmd},
        $pdu->{status} if $pdu;
    print "closed\n" unless $c->read_pdu();
    exit 0;
}

$c->outbind(system_id => $system_id, password => $mode eq 'wrong-password' ? 'nottheone' : $password);
print "outbind sent\n";
my $pdu = $c->read_pdu();
if (!$pdu) { print "closed\n"; exit 0; }
my %binds = (Net::SMPP::CMD_bind_receiver => 'bind_receiver', Net::SMPP::CMD_bind_transceiver => 'bind_transceiver');
my $bind = $binds{$pdu->{cmd}} or die "expected a bind, got command $pdu->{cmd}\n";
print "bind $bind $pdu->{system_id} $pdu->{password}\n";
if ($bind eq 'bind_receiver') {
    $c->bind_receiver_resp(system_id => 'PERLSMSC', seq => $pdu->{seq});
} else {
    $c->bind_transceiver_resp(system_id => 'PERLSMSC', seq => $pdu->{seq});
}

$c->alert_notification(source_addr_ton => 1, source_addr_npi => 1, source_addr => '6281234567890',
    esme_addr => 'otp-router', ms_availability_status => pack('C', 0));
$c->deliver_sm(
    source_addr_ton => 1, source_addr_npi => 1, source_addr => '6281234567890',
    dest_addr_ton => 5, dest_addr_npi => 0, destination_addr => 'MyBank',
    esm_class => 4, data_coding => 0,
    short_message => "id:$message_id sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:",
);
# Answers come in order; enquire_link from the ESME may come between.
while (my $in = $c->read_pdu()) {
    if ($in->{cmd} == Net::SMPP::CMD_enquire_link) {
        $c->enquire_link_resp(seq => $in->{seq});
    } elsif ($in->{cmd} == Net::SMPP::CMD_deliver_sm_resp) {
        print "deliver_sm_resp $in->{status}\n";
        last;
    } else {
        print "unexpected $in->{cmd}\n";
    }
}
$c->unbind();
while (my $in = $c->read_pdu()) {
    if ($in->{cmd} == Net::SMPP::CMD_unbind_resp) {
        print "unbind_resp $in->{status}\n";
        last;
    }
}
print "closed\n" unless $c->read_pdu();
exit 0;

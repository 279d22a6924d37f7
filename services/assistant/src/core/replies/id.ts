import { durationIn, type Phrases } from "./phrases";

export const ID: Phrases = {
  channel: { whatsapp: "WhatsApp", sms: "SMS", voice: "telepon", silent: "jaringan seluler" },
  duration: durationIn("detik", "menit"),
  help: 'Halo! Saya bisa bantu kalau kode verifikasi tidak masuk: tulis "belum terima kode", minta "kirim lewat SMS" atau "telepon saya", atau tanyakan apakah ada gangguan di daerah Anda.',
  noActive:
    "Saya tidak melihat permintaan kode dari nomor WhatsApp ini saat ini. Kode dikirim ke nomor yang Anda isi di aplikasi: pastikan nomornya ini, lalu minta kode baru di aplikasi.",
  otherNumber: "Demi privasi, saya hanya bisa membantu untuk nomor yang Anda pakai menulis ini.",
  codeWarning:
    "Mohon jangan kirim kode di sini. Kami tidak pernah meminta kode Anda, termasuk petugas kami. Jika ada yang memintanya, jangan berikan: petugas kami akan memeriksa hal ini.",
  safety:
    "Tidak. Jangan pernah memberikan kode kepada siapa pun, termasuk petugas atau CS kami: kami tidak pernah memintanya. Masukkan sendiri hanya di aplikasi. Jika ada yang memintanya, itu upaya penipuan.",
  handoff: "Percakapan ini saya teruskan ke petugas kami. Mereka akan membalas di sini secepatnya.",
  handoffPending: "Petugas kami sudah menerima percakapan Anda dan akan segera membalas di sini.",
  rateLimited: "Anda mengirim banyak pesan. Mohon tunggu sebentar sebelum menulis lagi.",
  statePreparing: "Permintaan kode Anda baru dibuat dan sedang dikirim.",
  stateSent: (c, ago) => `Kode Anda dikirim lewat ${c} ${ago} yang lalu, tetapi belum sampai ke ponsel Anda.`,
  stateDelivered: (c, ago) =>
    `Kode Anda sudah terkirim lewat ${c} ${ago} yang lalu. Silakan cek pesan ${c} Anda.`,
  stateFailed: (c, ago) => `Pengiriman kode lewat ${c} ${ago} yang lalu gagal.`,
  healthSlow: (c) => `${c} sedang lambat di daerah Anda.`,
  healthDown: (c) => `${c} sedang bermasalah di daerah Anda.`,
  offer: (c) => `Balas YA, saya kirimkan kode baru lewat ${c}.`,
  offerLater: (c, wait) => `Kode baru bisa dikirim lewat ${c} dalam ${wait}: balas YA nanti.`,
  resendSent: (c) =>
    (c ? `Beres: kode baru sedang dikirim lewat ${c}.` : "Beres: kode baru sedang dikirim.") +
    " Jangan berikan kode kepada siapa pun.",
  cooldown: (wait) => `Kode baru bisa dikirim dalam ${wait}. Balas YA nanti, saya kirimkan.`,
  sendLimit: "Permintaan kode ini sudah mencapai batas kirim ulang. Silakan mulai lagi di aplikasi.",
  budgetExhausted:
    "Anda sudah beberapa kali meminta kode baru. Mohon tunggu sebentar, atau mulai lagi di aplikasi.",
  closed:
    "Permintaan kode itu sudah berakhir (sudah dipakai atau kedaluwarsa). Silakan mulai lagi di aplikasi.",
  channelNotOffered: (c) => `Kode untuk permintaan ini tidak bisa dikirim lewat ${c}.`,
  declined: "Baik. Tulis saja kalau ada yang lain.",
  noIncident: "Saat ini tidak ada gangguan yang kami ketahui di daerah Anda.",
  incident: (d, c) => `Ada gangguan di ${d}${c ? ` pada ${c}` : ""}. Kami mengalihkan pengiriman kode.`,
  tryLater: "Maaf, saat ini belum bisa. Silakan coba lagi sebentar lagi.",
};

import { durationIn, type Phrases } from "./phrases";

export const MS: Phrases = {
  channel: { whatsapp: "WhatsApp", sms: "SMS", voice: "panggilan telefon", silent: "rangkaian mudah alih" },
  duration: durationIn("saat", "minit"),
  help: 'Hai! Saya boleh bantu jika kod pengesahan tidak sampai: tulis "kod tak sampai", minta "hantar melalui SMS" atau "call saya", atau tanya sama ada ada gangguan di kawasan anda.',
  noActive:
    "Saya tidak nampak permintaan kod daripada nombor WhatsApp ini sekarang. Kod dihantar ke nombor yang anda isi dalam aplikasi: pastikan nombor ini, kemudian minta kod baharu dalam aplikasi.",
  otherNumber: "Demi privasi, saya hanya boleh membantu untuk nombor yang anda gunakan untuk menulis ini.",
  codeWarning:
    "Tolong jangan hantar kod di sini. Kami tidak akan sekali-kali meminta kod anda, termasuk ejen kami. Jika ada orang memintanya, jangan kongsi: ejen kami akan menyemak perkara ini.",
  safety:
    "Tidak. Jangan sekali-kali kongsi kod anda dengan sesiapa, termasuk kakitangan atau ejen kami: kami tidak akan memintanya. Masukkan sendiri dalam aplikasi sahaja. Jika ada yang meminta, itu cubaan penipuan.",
  handoff: "Saya serahkan perbualan ini kepada ejen kami. Mereka akan membalas di sini secepat mungkin.",
  handoffPending: "Ejen kami sudah menerima perbualan anda dan akan membalas di sini tidak lama lagi.",
  rateLimited: "Anda telah menghantar banyak mesej. Sila tunggu seminit sebelum menulis lagi.",
  statePreparing: "Permintaan kod anda baru dibuat dan sedang dihantar.",
  stateSent: (c, ago) =>
    `Kod anda dihantar melalui ${c} ${ago} yang lalu, tetapi belum sampai ke telefon anda.`,
  stateDelivered: (c, ago) =>
    `Kod anda telah sampai melalui ${c} ${ago} yang lalu. Sila semak mesej ${c} anda.`,
  stateFailed: (c, ago) => `Penghantaran kod melalui ${c} ${ago} yang lalu gagal.`,
  healthSlow: (c) => `${c} lambat di kawasan anda sekarang.`,
  healthDown: (c) => `${c} sedang bermasalah di kawasan anda sekarang.`,
  offer: (c) => `Balas YA dan saya akan hantar kod baharu melalui ${c}.`,
  offerLater: (c, wait) => `Kod baharu boleh dihantar melalui ${c} dalam ${wait}: balas YA nanti.`,
  resendSent: (c) =>
    (c ? `Selesai: kod baharu sedang dihantar melalui ${c}.` : "Selesai: kod baharu sedang dihantar.") +
    " Jangan kongsi dengan sesiapa.",
  cooldown: (wait) => `Kod baharu boleh dihantar dalam ${wait}. Balas YA nanti dan saya akan hantar.`,
  sendLimit: "Permintaan kod ini sudah mencapai had hantar semula. Sila mula semula dalam aplikasi.",
  budgetExhausted:
    "Anda sudah beberapa kali meminta kod baharu. Sila tunggu sebentar, atau mula semula dalam aplikasi.",
  closed: "Permintaan kod itu sudah tamat (telah digunakan atau luput). Sila mula semula dalam aplikasi.",
  channelNotOffered: (c) => `Kod untuk permintaan ini tidak boleh dihantar melalui ${c}.`,
  declined: "Baik. Tulis kepada saya jika perlukan apa-apa lagi.",
  noIncident: "Tiada gangguan yang diketahui di kawasan anda sekarang.",
  incident: (d, c) =>
    `Ada gangguan di ${d}${c ? ` yang menjejaskan ${c}` : ""}. Kami sedang mengalihkan penghantaran kod.`,
  tryLater: "Maaf, saya tidak dapat melakukannya sekarang. Sila cuba lagi sebentar lagi.",
};

/**
 * The ideas the classifier looks for, the same in every language. Each language's lexicon maps
 * its words and phrases (slang and common misspellings included) to these.
 */
export const CONCEPTS = [
  "NEG", // not, tidak, gak, hindi, không, ไม่
  "NOT_YET", // belum, yet, chưa, ยัง
  "RECEIVE", // receive, terima, masuk, natanggap, nhận, ได้รับ
  "CODE", // code, otp, kode, kod, tac, mã, รหัส
  "WHERE", // where, mana, nasaan, đâu, ไหน
  "WAIT", // waiting, nunggu, hintay, chờ, รอ
  "LATE", // slow, late, lama, lambat, matagal, chậm, ช้า
  "SEND", // send, kirim, hantar, padala, gửi, ส่ง
  "AGAIN", // again, ulang, semula, ulit, lại, อีก
  "NEW", // new, baru, bagong, mới, ใหม่
  "SMS",
  "WHATSAPP",
  "VOICE", // voice call, telepon, tawag, gọi, โทร
  "CALL_ME", // call me, telepon saya, tawagan mo ako, gọi cho tôi, โทรมา
  "VIA", // via, lewat, guna, sa, qua, ทาง
  "EXCLUDE", // instead of, bukan, selain, imbes na, thay vì, แทน
  "SAFE", // safe, aman, selamat, ligtas, an toàn, ปลอดภัย
  "SHARE", // share, give, kasih, kongsi, ibigay, đưa, ให้
  "ASKED", // ask, minta, hingi, yêu cầu, ขอ
  "STAFF", // agent, CS, petugas, pegawai, ahente, nhân viên, เจ้าหน้าที่
  "SOMEONE", // someone, seseorang, may tao, ai đó, มีคน
  "HUMAN", // human, real person, manusia, tao, người thật, คนจริง
  "TALK", // talk, speak, chat, bicara, cakap, kausap, nói chuyện, คุย
  "OUTAGE", // blackout, mati lampu, bekalan elektrik terputus, brownout, mất điện, ไฟดับ
  "NETWORK", // signal, jaringan, line, mạng, สัญญาณ
  "PROBLEM", // problem, gangguan, rosak, sira, lỗi, ปัญหา
  "YES",
  "NO",
  "GREETING",
  "THANKS",
  "HELP",
  "ANGRY", // useless, bodoh, bwisit, vô dụng, ห่วย
  "REQUEST", // can you, bisa, boleh, pwede, có thể, ได้ไหม
] as const;

export type Concept = (typeof CONCEPTS)[number];

export type Lexicon = Partial<Record<Concept, readonly string[]>>;

/** What users write in the end-to-end tests, per language and case (not the labelled sets). */
import type { Language } from "@services/assistant/src/core/types";

export type Case =
  "notReceived" | "switchSms" | "safety" | "incident" | "human" | "frustrated" | "other" | "greeting";

export const WRITES: Record<Language, Record<Case, string>> = {
  id: {
    notReceived: "kak kode otp nya blm masuk2",
    switchSms: "kirim lewat SMS aja",
    safety: "aman gak kasih kode otp ke CS?",
    incident: "di daerah saya mati lampu, ada gangguan?",
    human: "saya mau bicara sama orang asli",
    frustrated: "bot goblok, ga ngebantu sama sekali",
    other: "saya mau ganti alamat email",
    greeting: "halo selamat siang",
  },
  en: {
    notReceived: "OTP not received",
    switchSms: "can you send it by SMS?",
    safety: "is it safe to share my OTP with your agent?",
    incident: "power outage here, are you having issues?",
    human: "let me talk to a real person",
    frustrated: "this is USELESS, fix it now",
    other: "how do i change my password",
    greeting: "hello",
  },
  ms: {
    notReceived: "kod tac tak sampai lagi",
    switchSms: "hantar melalui sms boleh?",
    safety: "selamat ke kongsi kod otp dengan ejen?",
    incident: "bekalan elektrik terputus, sistem ada masalah ke",
    human: "nak cakap dengan orang sebenar",
    frustrated: "bodoh betul sistem ni!!!",
    other: "macam mana nak tukar alamat",
    greeting: "helo encik",
  },
  th: {
    notReceived: "ยังไม่ได้รับรหัส OTP ค่ะ",
    switchSms: "ส่งทาง SMS ได้ไหมคะ",
    safety: "บอกรหัส OTP ให้พนักงานได้ไหมคะ",
    incident: "แถวบ้านไฟดับ ระบบมีปัญหาไหม",
    human: "ขอคุยกับเจ้าหน้าที่ค่ะ",
    frustrated: "ห่วยมาก รำคาญจริงๆ",
    other: "เปลี่ยนที่อยู่ยังไงคะ",
    greeting: "สวัสดีครับ",
  },
  vi: {
    notReceived: "tôi chưa nhận được mã OTP",
    switchSms: "gửi qua SMS được không",
    safety: "có an toàn không nếu đưa mã OTP cho nhân viên?",
    incident: "khu tôi đang mất điện, hệ thống có sự cố không?",
    human: "cho tôi nói chuyện với nhân viên",
    frustrated: "bực mình quá, app tệ quá",
    other: "làm sao đổi địa chỉ email",
    greeting: "xin chào",
  },
  fil: {
    notReceived: "hindi ko pa natanggap yung OTP",
    switchSms: "pwede po ba sa text na lang",
    safety: "ligtas bang ibigay ang OTP sa ahente nyo?",
    incident: "brownout dito sa amin, may problema ba kayo?",
    human: "gusto kong makausap ang totoong tao",
    frustrated: "nakakainis na talaga!!!",
    other: "paano magpalit ng email address",
    greeting: "magandang umaga po",
  },
};

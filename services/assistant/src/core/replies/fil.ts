import { durationIn, type Phrases } from "./phrases";

export const FIL: Phrases = {
  channel: { whatsapp: "WhatsApp", sms: "SMS", voice: "tawag", silent: "ang mobile network" },
  duration: durationIn("segundo", "minuto"),
  help: 'Hello po! Matutulungan kita kapag hindi dumating ang verification code: sabihin ang "hindi ko natanggap ang code", hilingin na "ipadala sa SMS" o "tawagan mo ako", o itanong kung may aberya sa lugar mo.',
  noActive:
    "Wala akong nakikitang request ng code mula sa WhatsApp number na ito ngayon. Ipinapadala ang code sa number na inilagay mo sa app: siguraduhing ito iyon, tapos humingi ng bagong code sa app.",
  otherNumber: "Para sa privacy mo, ang number lang na ginagamit mo sa pag-message ang matutulungan ko.",
  codeWarning:
    "Pakiusap, huwag magpadala ng code dito. Hindi kailanman hihingin ng kahit sino sa amin ang code mo, kahit ang aming mga agent. Kung may humingi nito, huwag ibigay: titingnan ito ng aming agent.",
  safety:
    "Hindi. Huwag kailanman ibigay ang code mo kahit kanino, kahit sa aming staff o agent: hindi namin ito hihingin. Ikaw lang ang maglalagay nito sa app. Kung may humingi, scam iyon.",
  handoff: "Ipapasa ko ang usapang ito sa isang agent. Sasagot sila dito sa lalong madaling panahon.",
  handoffPending: "Nasa agent na ang usapan mo at sasagot sila dito sa lalong madaling panahon.",
  rateLimited: "Marami ka nang naipadalang mensahe. Maghintay muna ng isang minuto bago mag-message ulit.",
  statePreparing: "Kagagawa lang ng request mo ng code; ipinapadala na ito.",
  stateSent: (c, ago) =>
    `Ipinadala ang code mo sa ${c} ${ago} na ang nakalipas, pero hindi pa ito dumarating sa phone mo.`,
  stateDelivered: (c, ago) =>
    `Dumating ang code mo sa ${c} ${ago} na ang nakalipas. Pakitingnan ang mga mensahe mo sa ${c}.`,
  stateFailed: (c, ago) => `Hindi natuloy ang pagpapadala ng code sa ${c} ${ago} na ang nakalipas.`,
  healthSlow: (c) => `Mabagal ang ${c} sa lugar mo ngayon.`,
  healthDown: (c) => `May problema ang ${c} sa lugar mo ngayon.`,
  offer: (c) => `Sumagot ng OO at magpapadala ako ng bagong code sa ${c}.`,
  offerLater: (c, wait) =>
    `Makakapagpadala ako ng bagong code sa ${c} pagkalipas ng ${wait}: sumagot ng OO pagkatapos.`,
  resendSent: (c) =>
    (c ? `Tapos na: papunta na ang bagong code sa ${c}.` : "Tapos na: papunta na ang bagong code.") +
    " Huwag itong ibigay kahit kanino.",
  cooldown: (wait) =>
    `Makakapagpadala ng bagong code pagkalipas ng ${wait}. Sumagot ng OO pagkatapos at ipapadala ko.`,
  sendLimit: "Naabot na ng request na ito ang limitasyon ng pagpapadala ulit. Magsimula ulit sa app.",
  budgetExhausted: "Ilang beses ka nang humingi ng bagong code. Maghintay muna, o magsimula ulit sa app.",
  closed: "Tapos na ang request na iyon (nagamit na o nag-expire). Magsimula ulit sa app.",
  channelNotOffered: (c) => `Hindi maipapadala sa ${c} ang code para sa request na ito.`,
  declined: "Sige. Mag-message lang kung may kailangan ka pa.",
  noIncident: "Walang alam na aberya sa lugar mo ngayon.",
  incident: (d, c) =>
    `May aberya sa ${d}${c ? ` na apektado ang ${c}` : ""}. Ipinapadala namin ang mga code sa ibang paraan.`,
  tryLater: "Pasensya na, hindi ko pa ito magawa ngayon. Subukan ulit pagkalipas ng isang minuto.",
};

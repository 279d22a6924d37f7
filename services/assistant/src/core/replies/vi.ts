import { durationIn, type Phrases } from "./phrases";

export const VI: Phrases = {
  channel: { whatsapp: "WhatsApp", sms: "SMS", voice: "cuộc gọi thoại", silent: "mạng di động" },
  duration: durationIn("giây", "phút"),
  help: 'Xin chào! Tôi có thể giúp khi mã xác thực không đến: nhắn "chưa nhận được mã", yêu cầu "gửi qua SMS" hoặc "gọi cho tôi", hoặc hỏi khu vực của bạn có sự cố không.',
  noActive:
    "Hiện tôi không thấy yêu cầu mã nào từ số WhatsApp này. Mã được gửi đến số bạn nhập trong ứng dụng: hãy kiểm tra đó là số này, rồi yêu cầu mã mới trong ứng dụng.",
  otherNumber: "Để bảo vệ quyền riêng tư, tôi chỉ có thể hỗ trợ cho số bạn đang nhắn tin.",
  codeWarning:
    "Vui lòng không gửi mã ở đây. Chúng tôi không bao giờ hỏi mã của bạn, kể cả nhân viên. Nếu có ai hỏi, đừng đưa: nhân viên của chúng tôi sẽ kiểm tra việc này.",
  safety:
    "Không. Tuyệt đối không đưa mã cho bất kỳ ai, kể cả nhân viên hay tổng đài viên của chúng tôi: chúng tôi không bao giờ hỏi mã. Chỉ tự nhập vào ứng dụng. Nếu có ai hỏi, đó là lừa đảo.",
  handoff: "Tôi chuyển cuộc trò chuyện này cho nhân viên. Họ sẽ trả lời tại đây sớm nhất có thể.",
  handoffPending: "Nhân viên đã nhận cuộc trò chuyện của bạn và sẽ sớm trả lời tại đây.",
  rateLimited: "Bạn đã gửi nhiều tin nhắn. Vui lòng đợi một phút rồi nhắn lại.",
  statePreparing: "Yêu cầu mã của bạn vừa được tạo và đang được gửi.",
  stateSent: (c, ago) => `Mã của bạn đã được gửi qua ${c} ${ago} trước nhưng chưa đến điện thoại của bạn.`,
  stateDelivered: (c, ago) => `Mã của bạn đã đến qua ${c} ${ago} trước. Vui lòng kiểm tra tin nhắn ${c}.`,
  stateFailed: (c, ago) => `Gửi mã qua ${c} ${ago} trước không thành công.`,
  healthSlow: (c) => `${c} đang chậm ở khu vực của bạn.`,
  healthDown: (c) => `${c} đang gặp sự cố ở khu vực của bạn.`,
  offer: (c) => `Trả lời CÓ và tôi sẽ gửi mã mới qua ${c}.`,
  offerLater: (c, wait) => `Có thể gửi mã mới qua ${c} sau ${wait}: khi đó hãy trả lời CÓ.`,
  resendSent: (c) =>
    (c ? `Xong: mã mới đang được gửi qua ${c}.` : "Xong: mã mới đang được gửi.") +
    " Không đưa mã cho bất kỳ ai.",
  cooldown: (wait) => `Có thể gửi mã mới sau ${wait}. Khi đó hãy trả lời CÓ, tôi sẽ gửi.`,
  sendLimit: "Yêu cầu mã này đã hết số lần gửi lại. Vui lòng bắt đầu lại trong ứng dụng.",
  budgetExhausted: "Bạn đã yêu cầu mã mới nhiều lần. Vui lòng đợi một lúc, hoặc bắt đầu lại trong ứng dụng.",
  closed: "Yêu cầu mã đó đã kết thúc (đã dùng hoặc hết hạn). Vui lòng bắt đầu lại trong ứng dụng.",
  channelNotOffered: (c) => `Mã cho yêu cầu này không thể gửi qua ${c}.`,
  declined: "Vâng. Nếu cần gì thêm, bạn cứ nhắn nhé.",
  noIncident: "Hiện không có sự cố nào được biết ở khu vực của bạn.",
  incident: (d, c) =>
    `Đang có sự cố tại ${d}${c ? ` ảnh hưởng đến ${c}` : ""}. Chúng tôi đang gửi mã qua kênh khác.`,
  tryLater: "Xin lỗi, hiện tôi chưa làm được. Vui lòng thử lại sau ít phút.",
};

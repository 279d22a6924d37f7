import { durationIn, type Phrases } from "./phrases";

export const EN: Phrases = {
  channel: { whatsapp: "WhatsApp", sms: "SMS", voice: "a voice call", silent: "the mobile network" },
  duration: durationIn("s", "min"),
  help: 'Hi! I can help when your verification code does not arrive: tell me "I didn\'t get my code", ask for it "by SMS" or "call me", or ask if there is an outage in your area.',
  noActive:
    "I can't see a code request from this WhatsApp number right now. Codes go to the number you typed in the app: check it is this one, then ask for a new code in the app.",
  otherNumber: "For your privacy I can only help with the number you are writing from.",
  codeWarning:
    "Please don't send codes here. Nobody from us will ever ask for your code, not even an agent. If someone asked you for it, don't share it: an agent will look into this.",
  safety:
    "No. Never share your code with anyone, including our staff or agents: we will never ask for it. Only type it into the app yourself. If someone asked you for it, that was a scam attempt.",
  handoff: "I'm passing this conversation to a human agent. They will reply here as soon as they can.",
  handoffPending: "An agent has your conversation and will reply here soon.",
  rateLimited: "You've sent a lot of messages. Please wait a minute before writing again.",
  statePreparing: "Your code request has just been made; it is being sent now.",
  stateSent: (c, ago) => `Your code was sent by ${c} ${ago} ago; it hasn't reached your phone yet.`,
  stateDelivered: (c, ago) => `Your code was delivered by ${c} ${ago} ago. Please check your ${c} messages.`,
  stateFailed: (c, ago) => `Sending your code by ${c} ${ago} ago did not go through.`,
  healthSlow: (c) => `${c} is slow in your area right now.`,
  healthDown: (c) => `${c} is having problems in your area right now.`,
  offer: (c) => `Reply YES and I'll send you a new code by ${c}.`,
  offerLater: (c, wait) => `I can send a new code by ${c} in ${wait}: reply YES then.`,
  resendSent: (c) =>
    (c ? `Done: a new code is on its way by ${c}.` : "Done: a new code is on its way.") +
    " Never share it with anyone.",
  cooldown: (wait) => `A new code can be sent in ${wait}. Reply YES then and I'll send it.`,
  sendLimit: "This code request has reached its limit of resends. Please start again in the app.",
  budgetExhausted:
    "You've asked for several new codes already. Please wait a while, or start again in the app.",
  closed: "That code request has ended (used or expired). Please start again in the app.",
  channelNotOffered: (c) => `Codes for this request can't be sent by ${c}.`,
  declined: "OK. Write to me if you need anything else.",
  noIncident: "There is no known outage in your area right now.",
  incident: (d, c) =>
    `There is a known problem in ${d}${c ? ` affecting ${c}` : ""}. We are routing codes around it.`,
  tryLater: "Sorry, I can't do that right now. Please try again in a minute.",
};

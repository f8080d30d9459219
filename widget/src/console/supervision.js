// Private notes and supervision in the console (main.js wires this in): the
// "observing / take over" and notes tools under each conversation, the floor
// for supervisors, and the desk events that feed them.
import { NotesView } from './notes-view.js';
import { SuperviseView } from './supervise.js';
import { FloorView } from './floor.js';

/**
 * @typedef {(key: string, vars?: Record<string, string | number>) => string} T
 * @typedef {import('./desk.js').Desk} Desk
 * @typedef {import('./desk.js').Conversation} Conversation
 * @typedef {import('./conversations.js').ConversationsView} ConversationsView
 */

const PROBLEMS = { noKey: 'transferNoKey', tooLong: 'transferTooLong', offline: 'transferOffline' };

export class Supervision {
  /**
   * @param {{t: T, label: T, lang: string, notice: (text: string) => void,
   *   desk: () => Desk, conversations: () => ConversationsView,
   *   floor: {section: HTMLElement, queue: HTMLElement, list: HTMLElement}}} opts
   *   desk, conversations: read when needed (they are made after this)
   */
  constructor(opts) {
    const { t, label, lang } = opts;
    this.opts = opts;
    this.notes = new NotesView({ t, lang, onWrite: (key, text, kind) => opts.desk().note(key, text, kind) });
    this.supervise = new SuperviseView({
      t,
      onLeave: (key) => opts.desk().leave(key),
      onTakeOver: (key, note) => {
        const problem = opts.desk().takeOver(key, note);
        return problem === null ? null : PROBLEMS[/** @type {keyof typeof PROBLEMS} */ (problem)] ?? 'error.not_yours';
      },
    });
    this.floor = new FloorView(opts.floor.section, opts.floor.queue, opts.floor.list, {
      t, label, lang,
      me: () => opts.desk().me,
      observing: (key) => opts.desk().conversations.has(key),
      onJoin: (conv) => opts.desk().join(conv),
      onCapacity: (username, capacity) => opts.desk().setCapacity(username, capacity),
    });
    /** Tools under each conversation panel (conversations.js, Tool). */
    this.tools = [
      (/** @type {Conversation} */ c, /** @type {string} */ id) => this.supervise.build(c, id),
      (/** @type {Conversation} */ c, /** @type {string} */ id) => this.notes.build(c, id),
    ];
    /** @type {Partial<import('./desk.js').DeskEvents>} */
    this.events = {
      onNote: (c, note) => this.notes.add(c, note),
      onNoteFailed: (c, cid, reason) => this.notes.failed(c, cid, reason),
      onObserver: (c, username, on) => {
        this.notes.observer(c, username, on);
        this.floor.refresh();
      },
      onLeft: (key) => {
        this.forget(key);
        opts.conversations().remove(key);
        this.floor.refresh();
      },
      onTakenOver: () => opts.notice(t('supervise.tookOver')),
      onFloor: (floor) => this.floor.render(floor),
    };
  }

  /** A conversation frame came: observing or not, observers, notes. @param {Conversation} c */
  conversation(c) {
    this.notes.update(c);
    this.supervise.update(c);
    this.floor.refresh();
  }

  /**
   * The server refused a transfer: ours if it was a take-over.
   * @param {string} key @param {string} text @returns {boolean}
   */
  transferFailed(key, text) {
    return this.supervise.transferFailed(key, text);
  }

  /** The conversation left this console. @param {string} key */
  forget(key) {
    this.notes.forget(key);
    this.supervise.forget(key);
  }

  stop() {
    this.notes.clear();
    this.supervise.clear();
    this.floor.stop();
  }
}

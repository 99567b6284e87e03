import {
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  fromTransition,
  type NonReducibleUnknown,
  type Observer,
  sendParent,
} from 'xstate';
import {
  SESSION_COMMANDS,
  type SessionContext,
  type SessionEmitted,
  type SessionEvent,
  sessionMachine,
} from '../machines/serverSession.js';
import type { Clock } from './options.js';

/** What carries out a session's socket commands (its connection). */
export interface CommandTarget {
  perform(command: SessionEmitted): void;
  /** The session actor failed: no command will come from it again, the socket must go. */
  sessionFailed(): void;
}

const SESSION_ERROR = 'xstate.error.actor.';

/** A session's command, on its way to the parent that hands it to the connection. */
interface SessionCommandEvent {
  type: 'session.command';
  session: string;
  command: SessionEmitted;
}

function toParent(name: keyof typeof SESSION_COMMANDS) {
  return sendParent<
    SessionContext,
    SessionEvent,
    NonReducibleUnknown,
    SessionCommandEvent,
    SessionEvent
  >(({ context, self }) => ({
    type: 'session.command',
    session: self.sessionId,
    command: SESSION_COMMANDS[name](context),
  }));
}

/**
 * The session machine as the server runs it: its commands go to the parent, which knows every
 * session's connection, instead of to an `actor.on` listener per connection (~330 B of idle
 * heap each). Sent like emitted events, after the transition.
 */
export const serverSessionLogic = sessionMachine.provide({
  actions: {
    emitPing: toParent('emitPing'),
    emitTokenExpired: toParent('emitTokenExpired'),
    emitClose: toParent('emitClose'),
    emitTerminate: toParent('emitTerminate'),
  },
});

/** Sessions that share one XState system. */
const SESSIONS_PER_SYSTEM = 64;

/**
 * Parents for session actors. An actor without a parent builds an XState system of its own
 * (a scheduler, registries and a dozen closures: ~2.3 KB per idle connection); children share
 * their parent's. A system serves at most SESSIONS_PER_SYSTEM sessions, because an actor that
 * ends scans every pending timer of its system. A parent is held by its children only, once
 * the next one is in use, so it goes with the last of them. It hears of a session that failed
 * (an error event, sent to the parent instead of to observers), reports it and has its
 * connection close the socket; it hands each session's commands to its connection; everything
 * else it is sent (done events) it ignores.
 */
export class SessionParents {
  #current: AnyActorRef | null = null;
  #used = 0;
  readonly #logic: AnyActorLogic;
  /** Connections by their session actor's sessionId, from sign-up to socket close. */
  readonly #targets = new Map<string, CommandTarget>();

  constructor(
    private readonly options: {
      clock: Clock;
      inspect: Observer<unknown> | undefined;
      onError: (error: unknown, where: string) => void;
    },
  ) {
    const targets = this.#targets;
    this.#logic = fromTransition((state: null, event) => {
      if (event.type === 'session.command') {
        const { session, command } = event as SessionCommandEvent;
        targets.get(session)?.perform(command);
      } else if (event.type.startsWith(SESSION_ERROR)) {
        options.onError(event.error, 'session');
        // A child made by createActor({parent}) has its sessionId for id.
        targets.get(event.type.slice(SESSION_ERROR.length))?.sessionFailed();
      }
      return state;
    }, null);
  }

  /** `target` carries out the commands of `session` until `forget`. */
  register(session: AnyActorRef, target: CommandTarget): void {
    this.#targets.set(session.sessionId, target);
  }

  forget(session: AnyActorRef): void {
    this.#targets.delete(session.sessionId);
  }

  next(): AnyActorRef {
    if (this.#current === null || this.#used === SESSIONS_PER_SYSTEM) {
      const { clock, inspect } = this.options;
      this.#current = createActor(this.#logic, { clock, ...(inspect && { inspect }) }).start();
      this.#used = 0;
    }
    this.#used++;
    return this.#current;
  }
}

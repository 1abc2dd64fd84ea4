/* The background scavenger: a thread that returns free pages to the OS once they have
 * stayed free for a decay time, at a bounded rate ($SPANLAB_SCAVENGE_MS,
 * $SPANLAB_DECAY_MS, $SPANLAB_SCAVENGE_RATE; see scavenger.c). */
#ifndef SL_SCAVENGER_H
#define SL_SCAVENGER_H

/* Start the thread if enabled and not yet running. Never call with a lock held. */
void sl_scavenger_start(void);

/* Read the parameters (called once at initialisation): 0, or -EINVAL after printing
 * which value is wrong. */
int sl_scavenger_configure(void);

void sl_scavenger_atfork_child(void);

#endif

/* The background scavenger: a thread that returns free pages to the OS, paced by a
 * period ($SPANLAB_SCAVENGE_MS, default 100; 0 = no background thread). */
#ifndef SL_SCAVENGER_H
#define SL_SCAVENGER_H

/* Start the thread if enabled and not yet running. Never call with a lock held. */
void sl_scavenger_start(void);

/* Read $SPANLAB_SCAVENGE_MS (called once at initialisation). */
void sl_scavenger_configure(void);

void sl_scavenger_atfork_child(void);

#endif
